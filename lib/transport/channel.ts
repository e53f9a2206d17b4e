// The client's AMQPChannel with its two hottest calls rewritten for the Deno transport:
// basicPublish and basicAck write their frames straight into the bytes waiting for the socket,
// where the client builds each in a pooled buffer of frame_max bytes, copies it into the
// socket's queue, and chains two promises on it. The frames, the confirm bookkeeping and the
// results are the client's own; only where the bytes are written differs. Anything unusual (a
// name over 255 bytes, a closed or blocked channel) goes to the client's own code.

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPError } from "@cloudamqp/amqp-client/amqp-error";
import type { AMQPProperties } from "@cloudamqp/amqp-client/amqp-properties";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { type CancelTimer, later } from "./clock.ts";
import { writeText } from "./text.ts";
import { internals } from "./internals.ts";
import {
  BASIC_ACK_SIZE,
  encodeMethod,
  FRAME_END,
  FrameType,
  writeBasicAck,
  writeFrameStart,
} from "./frames.ts";

/** Where frames are written: reserve room, write into `outBytes` there, commit. */
export interface FrameSink {
  reserve(size: number): number;
  readonly outBytes: Uint8Array;
  readonly outView: DataView;
  commit(used: number): Promise<void> | undefined;
  /** The channel `id` is closed: a message it was receiving will not be finished. */
  channelClosed(id: number): void;
}

const encoder = new TextEncoder();
/** Longest an ack is held for coalescing, in milliseconds. */
const ACK_HOLD_MS = 2;
const NO_PROPERTIES = new Uint8Array([0, 0]);
/** Delivery mode alone: the flag (0x1000) and the mode. */
const DELIVERY_MODE = [1, 2].map((mode) => new Uint8Array([0x10, 0, mode]));
const SENT = Promise.resolve(0);

/** An AMQPChannel whose publishes and acks go straight into the socket's queue. */
export class DenoChannel extends AMQPChannel {
  readonly #sink: FrameSink;
  /** basic.publish method frames by exchange, routing key and flags: they repeat. */
  #methods = new Map<string, Uint8Array>();
  /** The last of them, found without building its key. */
  #last: { exchange: string; routingKey: string; bits: number; frame: Uint8Array } | undefined;

  constructor(connection: AMQPBaseClient & FrameSink, id: number) {
    super(connection, id);
    this.#sink = connection;
    internals(this); // checks, once, that the client still has the fields this class uses
  }

  override basicPublish(
    exchange: string,
    routingKey: string,
    data: string | Uint8Array | ArrayBuffer | null,
    properties: AMQPProperties = {},
    mandatory = false,
    immediate = false,
  ): Promise<number> {
    const method = !this.closed && !this.connection.blocked &&
      this.#method(exchange, routingKey, (mandatory ? 1 : 0) | (immediate ? 2 : 0));
    if (!method) {
      return super.basicPublish(exchange, routingKey, data, properties, mandatory, immediate);
    }
    let written: Promise<void> | undefined;
    try {
      written = this.#write(method, data, properties);
    } catch (error) {
      // As the client's own (async) basicPublish: a failure is a rejected promise, never a throw.
      return Promise.reject(error);
    }
    // The client's confirm bookkeeping, hidden from its types: the next tag, the waiting list.
    const confirms = internals(this);
    if (confirms.confirmId) {
      const tag = confirms.confirmId++;
      const confirmed = new Promise<number>((resolve, reject) =>
        confirms.unconfirmedPublishes.push([tag, resolve, reject])
      );
      return written ? written.then(() => confirmed) : confirmed;
    }
    return written ? written.then(() => 0) : SENT;
  }

  /**
   * Publishes on a channel in confirm mode without a promise per message: returns the
   * message's delivery tag, which {@linkcode settledThrough}, {@linkcode waitSettled} and
   * {@linkcode wasNacked} then follow. For publishers that keep many messages in flight
   * (publishWithConfirms): a promise apiece is what makes such a publisher's memory grow.
   * `backpressure` is set while the socket's queue is long; await it before going on.
   */
  publishByTag(
    exchange: string,
    routingKey: string,
    data: string | Uint8Array,
    properties: AMQPProperties,
  ): number {
    if (this.closed) throw new AMQPError("Channel is closed", this.connection);
    const method = this.#method(exchange, routingKey, 0);
    if (!method) throw new RangeError(`Short string too long: "${exchange}" or "${routingKey}"`);
    const written = this.#write(method, data, properties);
    if (written) this.backpressure = written.then(() => void (this.backpressure = undefined));
    return internals(this).confirmId++;
  }

  /** Whether the channel is in confirm mode (confirm.select was answered). */
  get confirming(): boolean {
    return internals(this).confirmId > 0;
  }

  /** Set while the socket's queue is long: {@linkcode publishByTag}'s callers await it. */
  backpressure: Promise<void> | undefined;
  /** Every tracked publish up to this tag is settled (acked or nacked). */
  settledThrough = 0;
  /** Tags settled out of order, above `settledThrough`. */
  #settledAbove = new Set<number>();
  #nacked = new Set<number>();
  #waiter: { tag: number; resolve(): void; reject(error: Error): void } | undefined;

  /** Whether the broker refused the message with this tag (basic.nack); asks once per tag. */
  wasNacked(tag: number): boolean {
    return this.#nacked.delete(tag);
  }

  /** Resolves once every publish up to `tag` is settled; rejects if the channel closes. */
  waitSettled(tag: number): Promise<void> {
    if (tag <= this.settledThrough) return SENT as Promise<unknown> as Promise<void>;
    if (this.closed) return Promise.reject(new AMQPError("Channel is closed", this.connection));
    return new Promise((resolve, reject) => this.#waiter = { tag, resolve, reject });
  }

  /** A confirm from the broker: tracked publishes settle here, the client's own as before. */
  override publishConfirmed(deliveryTag: number, multiple: boolean, nack: boolean): void {
    if (internals(this).unconfirmedPublishes.length > 0) {
      super.publishConfirmed(deliveryTag, multiple, nack);
    }
    const from = multiple ? this.settledThrough + 1 : deliveryTag;
    if (nack) { for (let tag = from; tag <= deliveryTag; tag++) this.#nacked.add(tag); }
    if (multiple) this.settledThrough = Math.max(this.settledThrough, deliveryTag);
    else this.#settledAbove.add(deliveryTag);
    while (this.#settledAbove.delete(this.settledThrough + 1)) this.settledThrough++;
    for (const tag of this.#settledAbove) {
      if (tag <= this.settledThrough) this.#settledAbove.delete(tag);
    }
    const waiter = this.#waiter;
    if (waiter && waiter.tag <= this.settledThrough) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  override setClosed(error?: Error): void {
    this.#flushTimer?.();
    this.#flushTimer = undefined;
    super.setClosed(error);
    this.#sink.channelClosed(this.id);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error ?? new AMQPError("Channel is closed", this.connection));
  }

  /** Writes a publish's frames into the socket's queue: method, content header, body. */
  #write(
    method: Uint8Array,
    data: string | Uint8Array | ArrayBuffer | null,
    properties: AMQPProperties,
  ): Promise<void> | undefined {
    const props = encodeProperties(properties, this.connection.frameMax);
    const room = this.connection.frameMax - 8; // the most a body frame carries
    const body = data === null
      ? new Uint8Array(0)
      : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : typeof data === "string" && data.length * 3 > room
      ? encoder.encode(data) // long text: split into frames below, as bytes
      : data;
    const bodyBytes = typeof body === "string" ? body.length * 3 : body.byteLength;
    const frames = Math.max(1, Math.ceil(bodyBytes / room));
    const size = method.length + 20 + props.length + bodyBytes + 8 * frames;
    const id = this.id;
    const sink = this.#sink;
    const at = sink.reserve(size);
    if (at < 0) return undefined; // the connection is gone: the channel hears why
    const bytes = sink.outBytes;
    const view = sink.outView;
    bytes.set(method, at);
    let j = at + method.length;
    // The content header: class 60, weight 0, the body's size (set below), the properties.
    const header = j;
    writeFrameStart(view, j, FrameType.Header, id, 12 + props.length);
    view.setUint32(j + 7, 60 << 16);
    view.setUint32(j + 11, 0);
    bytes.set(props, j + 19);
    j += 19 + props.length;
    bytes[j++] = FRAME_END;
    let total = 0;
    if (typeof body === "string") {
      // Short text is encoded once, into its frame: no intermediate array.
      total = writeText(bytes, j + 7, body, bodyBytes);
      if (total > 0) j = bodyFrame(bytes, view, j, id, total);
    } else {
      for (let pos = 0; pos < body.byteLength; pos += room) {
        const part = body.subarray(pos, pos + room);
        bytes.set(part, j + 7);
        j = bodyFrame(bytes, view, j, id, part.byteLength);
      }
      total = body.byteLength;
    }
    view.setUint32(header + 15, total);
    return sink.commit(j - at);
  }

  /**
   * Acks are coalesced: an ack for the delivery right after every one already settled (the
   * usual case: a consumer acks in order) is held, and the held run goes out as one
   * basic.ack (multiple): at the end of the turn (a microtask) in which a quarter of the
   * prefetch window came to be held (every ack's turn with a prefetch of 1 to 4), after a few
   * milliseconds, or before any other ack, nack, reject, cancel or close of this channel.
   * Acking each delivery up to N and acking N with `multiple` are the same to the broker, and
   * the window keeps the broker sending meanwhile; an ack out of order is written at once, as
   * given.
   */
  override basicAck(deliveryTag: number, multiple = false): Promise<void> {
    if (this.closed) return super.basicAck(deliveryTag, multiple);
    if (!multiple && deliveryTag === this.#handledThrough + 1) {
      this.#settle(deliveryTag, false);
      this.#ackUpTo = deliveryTag;
      // A full quarter goes out at the end of this turn, with the acks made in the same turn
      // (a consumer acking what one read brought): one frame and one write for them all. The
      // timer stays: one per few milliseconds, not one per quarter (it finds nothing held, or
      // waits once more if a quarter went out meanwhile: #holdOver).
      if (++this.#held >= this.#holdAtMost) {
        if (!this.#turnEnd) {
          this.#turnEnd = true;
          queueMicrotask(this.#onTurnEnd);
        }
      } else if (this.#flushTimer === undefined) this.#armHold();
      return SENT as Promise<unknown> as Promise<void>;
    }
    this.#flushAcks();
    this.#settle(deliveryTag, multiple);
    return this.#writeAck(deliveryTag, multiple);
  }

  /** The prefetch window decides how many acks may be held ({@linkcode basicAck}). */
  override basicQos(prefetchCount: number, prefetchSize = 0, global = false): Promise<void> {
    this.#holdAtMost = prefetchCount === 0 ? 256 : Math.max(1, Math.floor(prefetchCount / 4));
    return super.basicQos(prefetchCount, prefetchSize, global);
  }

  override basicNack(deliveryTag: number, requeue = false, multiple = false): Promise<void> {
    this.#flushAcks();
    this.#settle(deliveryTag, multiple);
    return super.basicNack(deliveryTag, requeue, multiple);
  }

  override basicReject(deliveryTag: number, requeue = false): Promise<void> {
    this.#flushAcks();
    this.#settle(deliveryTag, false);
    return super.basicReject(deliveryTag, requeue);
  }

  override close(reason?: string, code?: number): Promise<void> {
    this.#flushAcks();
    return super.close(reason, code);
  }

  override basicCancel(tag: string): Promise<AMQPChannel> {
    this.#flushAcks();
    return super.basicCancel(tag);
  }

  /** Every delivery up to this tag was acked, nacked or rejected. */
  #handledThrough = 0;
  /** Deliveries settled out of order, above `#handledThrough`. */
  #handledAbove = new Set<number>();
  /** The held acks: one basic.ack (multiple) up to this tag; 0 when none is held. */
  #ackUpTo = 0;
  /** How many acks are held, and how many may be. */
  #held = 0;
  #holdAtMost = 1;
  /** A write of the held acks is due at the end of this turn (a microtask). */
  #turnEnd = false;
  #flushTimer: CancelTimer | undefined;

  /** Notes deliveries as settled (`multiple`: all up to `tag`). */
  #settle(tag: number, multiple: boolean): void {
    if (multiple || tag === this.#handledThrough + 1) {
      this.#handledThrough = Math.max(this.#handledThrough, tag);
      if (this.#handledAbove.size === 0) return; // in order, as most are
      while (this.#handledAbove.delete(this.#handledThrough + 1)) this.#handledThrough++;
      if (multiple) {
        for (const t of this.#handledAbove) if (t <= tag) this.#handledAbove.delete(t);
      }
    } else if (tag > this.#handledThrough) this.#handledAbove.add(tag);
  }

  /** Writes the acks held for coalescing, if any: before the connection closes, say. */
  flushAcks(): void {
    this.#flushAcks();
  }

  /** Writes the held acks, if any, and stops the timer (or is the timer, when it fires). */
  readonly #flushAcks = (): void => {
    if (this.#flushTimer !== undefined) {
      this.#flushTimer();
      this.#flushTimer = undefined;
    }
    this.#writeHeld();
  };

  /**
   * The hold timer: writes what is held, unless a write went out since the timer was set (the
   * deliveries still flow, and what is held now was held after that write): then it waits
   * once more. Held acks wait at most two holds, and a flowing consumer's acks go out a
   * quarter at a time only, not also as a part every few milliseconds.
   */
  readonly #holdOver = (): void => {
    this.#flushTimer = undefined;
    if (this.#ackUpTo === 0) return;
    if (this.#wroteHeld) this.#armHold();
    else this.#writeHeld();
  };
  /** A write of held acks went out since the hold timer was set. */
  #wroteHeld = false;

  #armHold(): void {
    this.#wroteHeld = false;
    this.#flushTimer = later(ACK_HOLD_MS, this.#holdOver);
  }

  readonly #onTurnEnd = (): void => {
    this.#turnEnd = false;
    this.#writeHeld();
  };

  /** Writes the held acks, if any, as one basic.ack (multiple). */
  #writeHeld(): void {
    const upTo = this.#ackUpTo;
    if (upTo === 0) return;
    this.#ackUpTo = 0;
    this.#held = 0;
    this.#wroteHeld = true;
    if (!this.closed) this.#writeAck(upTo, true);
  }

  #writeAck(deliveryTag: number, multiple: boolean): Promise<void> {
    const sink = this.#sink;
    const at = sink.reserve(BASIC_ACK_SIZE);
    if (at < 0) return SENT as Promise<unknown> as Promise<void>; // gone: the channel hears why
    writeBasicAck(sink.outView, at, this.id, deliveryTag, multiple);
    return sink.commit(BASIC_ACK_SIZE) ?? (SENT as Promise<unknown> as Promise<void>);
  }

  /** The basic.publish method frame, built once per exchange, routing key and flags. */
  #method(exchange: string, routingKey: string, bits: number): Uint8Array | undefined {
    // A publisher mostly repeats its last destination: that needs no key string per publish.
    const last = this.#last;
    if (last?.exchange === exchange && last.routingKey === routingKey && last.bits === bits) {
      return last.frame;
    }
    const key = `${bits}\u0000${exchange}\u0000${routingKey}`;
    let frame = this.#methods.get(key);
    if (frame) return (this.#last = { exchange, routingKey, bits, frame }).frame;
    if (encoder.encode(exchange).length > 255 || encoder.encode(routingKey).length > 255) {
      return undefined; // the client reports it
    }
    frame = encodeMethod(this.id, "basic.publish", exchange, routingKey, bits);
    if (this.#methods.size >= 1000) this.#methods.clear(); // many routing keys: start over
    this.#methods.set(key, frame);
    this.#last = { exchange, routingKey, bits, frame };
    return frame;
  }
}

/** A body frame of `size` bytes, already in place at `j + 7`; returns where the next begins. */
function bodyFrame(bytes: Uint8Array, view: DataView, j: number, id: number, size: number) {
  writeFrameStart(view, j, FrameType.Body, id, size);
  bytes[j + 7 + size] = FRAME_END;
  return j + 8 + size;
}

let scratch: AMQPView | undefined;

/**
 * The properties as the content header carries them: flags, then the values. A content header
 * is one frame, so they must fit in frame_max with the header's own 20 bytes; if they do not,
 * a RangeError says how large they are.
 */
function encodeProperties(properties: AMQPProperties, frameMax: number): Uint8Array {
  let count = 0;
  for (const key in properties) {
    if (properties[key as keyof AMQPProperties] !== undefined) count++;
  }
  if (count === 0) return NO_PROPERTIES;
  const mode = properties.deliveryMode;
  if (count === 1 && (mode === 1 || mode === 2)) return DELIVERY_MODE[mode - 1]!;
  const room = frameMax - 20; // frame (8), class and weight (4), body size (8)
  if (!scratch || scratch.byteLength < frameMax) scratch = new AMQPView(new ArrayBuffer(frameMax));
  try {
    const length = scratch.setProperties(0, properties);
    if (length <= room) return new Uint8Array(scratch.buffer, 0, length).slice();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // a value the client cannot encode: said so
  }
  throw new RangeError(
    `Cannot publish: the message's properties and headers take ${encodedSize(properties)} ` +
      `bytes, and a content header must fit in one frame (frame_max ${frameMax} leaves ${room})`,
  );
}

/** How many bytes `properties` take encoded, however many that is. */
function encodedSize(properties: AMQPProperties): number {
  for (let size = 1 << 20;; size *= 4) {
    try {
      return new AMQPView(new ArrayBuffer(size)).setProperties(0, properties);
    } catch (error) {
      if (!(error instanceof RangeError) || size >= 1 << 30) return size;
    }
  }
}
