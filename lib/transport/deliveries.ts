/**
 * Consumer deliveries (basic.deliver, its content header and body frames) read where they lie
 * in the read buffer and made into the client library's AMQPMessage, with one copy (the body)
 * and no TextDecoder, microtask or closure per message; a short body is copied into a shared slab
 * of memory rather than an ArrayBuffer of its own (so `message.body.buffer` is the slab: use the
 * view, `message.body`, as Node's pooled Buffers are used). The client library's own parser does
 * the same work with a TextDecoder per string and a microtask per delivery; everything else
 * (basic.get-ok, returns, methods) still goes to it. Frames arrive here checked (frames.ts) and
 * in order (client.ts).
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { PropertyReader, ShortStrings } from "./properties.ts";
import { messageInternals } from "./internals.ts";
import { readUint64 } from "./frames.ts";

const EMPTY = new Uint8Array(0);
/** Bodies up to this size share slabs of SLAB bytes: an ArrayBuffer apiece costs 7× the copy. */
const SHORT_BODY = 512;
const SLAB = 16 * 1024;

/** The deliveries being put together, one per channel at most. */
export class DeliveryAssembler {
  #strings = new ShortStrings();
  #messages: (AMQPMessage | undefined)[] = [];
  #reader: PropertyReader | undefined;
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  /** A copy of `bytes[at, at + size)`, a short one in the current slab. */
  #copy(bytes: Uint8Array, at: number, size: number): Uint8Array {
    if (size > SHORT_BODY) return bytes.slice(at, at + size);
    if (this.#slabUsed + size > this.#slab.length) {
      // A new slab; the old one lives on while a message still holds a part of it.
      this.#slab = new Uint8Array(SLAB);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    this.#slab.set(bytes.subarray(at, at + size), start);
    this.#slabUsed += size;
    return this.#slab.subarray(start, start + size);
  }

  /** A reader over `bytes`, the same one while the read buffer stays the same. */
  #over(bytes: Uint8Array, view: DataView, at: number): PropertyReader {
    let reader = this.#reader;
    if (reader?.view !== view) {
      reader = this.#reader = new PropertyReader(bytes, view, this.#strings);
    }
    reader.at = at;
    return reader;
  }

  /**
   * Starts the message a basic.deliver announces: its payload (class and method ids first) is
   * at `bytes[at]`.
   */
  deliver(channel: AMQPChannel, bytes: Uint8Array, view: DataView, at: number): void {
    const reader = this.#over(bytes, view, at + 4);
    const message = new AMQPMessage(channel); // bodyString() without Buffer: internals.ts
    message.consumerTag = reader.shortstr();
    message.deliveryTag = readUint64(view, reader.at);
    message.redelivered = bytes[reader.at + 8] === 1;
    reader.at += 9;
    message.exchange = reader.shortstr();
    message.routingKey = reader.shortstr();
    this.#messages[channel.id] = message;
  }

  /** Whether a delivery started here awaits its content on `channel`. */
  assembling(channel: number): boolean {
    return this.#messages[channel] !== undefined;
  }

  /**
   * The content header of the delivery on `channel` (payload at `bytes[at]`); returns the
   * message if it is complete (an empty body).
   */
  header(channel: number, bytes: Uint8Array, view: DataView, at: number, frameMax: number) {
    const message = this.#messages[channel]!;
    message.bodySize = readUint64(view, at + 4);
    this.#over(bytes, view, at + 12).properties(message.properties);
    if (message.bodySize === 0) return this.#done(channel, message, EMPTY);
    // A body larger than one frame comes in parts: room for all of it now.
    if (message.bodySize > frameMax - 8) {
      messageInternals(message)._rawBytes = new Uint8Array(message.bodySize);
    }
    return undefined;
  }

  /** A body frame of the delivery on `channel`; returns the message once its body is whole. */
  body(channel: number, bytes: Uint8Array, at: number, size: number): AMQPMessage | undefined {
    const message = this.#messages[channel]!;
    const raw = messageInternals(message);
    if (raw._rawBytes === null) return this.#done(channel, message, this.#copy(bytes, at, size));
    raw._rawBytes.set(bytes.subarray(at, at + size), raw.bodyPos);
    raw.bodyPos += size;
    return raw.bodyPos === message.bodySize
      ? this.#done(channel, message, raw._rawBytes)
      : undefined;
  }

  /** Forgets the delivery in progress on `channel`, if any (the channel closed). */
  forget(channel: number): void {
    this.#messages[channel] = undefined;
  }

  /** Forgets every delivery in progress (the connection is gone). */
  clear(): void {
    this.#messages = [];
  }

  #done(channel: number, message: AMQPMessage, body: Uint8Array): AMQPMessage {
    this.#messages[channel] = undefined;
    const raw = messageInternals(message);
    raw._rawBytes = body;
    raw.bodyPos = body.length;
    message.body = body;
    return message;
  }
}
