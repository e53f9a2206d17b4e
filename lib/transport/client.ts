// An AMQP 0-9-1 transport on Deno's own sockets.
//
// The client package's AMQPClient runs on `node:net`/`node:tls`, which costs a Deno process
// 50-80 ms just to load and leaves Nagle's algorithm on, so every request/reply waits on a
// delayed ACK. Its abstract AMQPBaseClient holds the whole protocol and only asks a subclass to
// connect, send bytes and close; this file answers those three with `Deno.connect` /
// `Deno.connectTls` and TCP_NODELAY from the first byte.
//
// It also checks what the peer sends before the client parses it, because the client trusts
// it: every frame's size against frame_max (so a lying peer cannot make it buffer gigabytes),
// the frame-end octet, the frame type, the order of a message's method, header and body frames,
// and the first bytes of the connection (an HTTP or TLS server, another AMQP version). A
// violation closes the connection with AMQP's reply code and one clear error.

import { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPError } from "@cloudamqp/amqp-client/amqp-error";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { DenoChannel, type FrameSink } from "./channel.ts";
import { type CancelTimer, repeatEvery } from "./clock.ts";
import { DeliveryAssembler } from "./deliveries.ts";
import { useDenoStrings } from "./internals.ts";
import {
  encodeMethod,
  FRAME_END,
  FRAME_OVERHEAD,
  frameProblem,
  FrameType as Frame,
  HEARTBEAT as HEARTBEAT_FRAME,
  readUint64,
} from "./frames.ts";

const PROTOCOL_HEADER = new Uint8Array([65, 77, 81, 80, 0, 0, 9, 1]); // "AMQP" 0-9-1
const READ_BUFFER = 256 * 1024;
const OUTBOX_WAIT = 1024 * 1024; // queued bytes past which a send waits for the socket
const OUTBOX_MAX = 64 * 1024 * 1024; // queued bytes past which the peer is taken as not reading

/**
 * What a logger needs: the client library's `Logger`, which `console` satisfies.
 *
 * @example
 * ```ts
 * import type { Logger } from "./client.ts";
 *
 * const logger: Logger = console;
 * ```
 */
export interface Logger {
  /** Detail nobody needs unless debugging. */
  debug(...args: unknown[]): void;
  /** A connect, or a close asked for. */
  info(...args: unknown[]): void;
  /** A failed connect, a reconnect. */
  warn(...args: unknown[]): void;
  /** A connection lost, a reconnect given up. */
  error(...args: unknown[]): void;
}

/** What the transport needs besides the credentials and vhost. */
export interface DenoClientOptions {
  hostname: string;
  port: number;
  tls: boolean;
  /** PEM-encoded CA certificates trusted in addition to the system's. */
  caCerts?: string[] | undefined;
  /** Connection name shown in the management UI. */
  name?: string | undefined;
  /** Heartbeat interval in seconds proposed to the broker; 0 turns heartbeats off. */
  heartbeat: number;
  /** Largest frame, in bytes, proposed to the broker (at least 8192). */
  frameMax: number;
  /** Most channels proposed to the broker; 0 takes the broker's limit. Default: 0. */
  channelMax?: number;
  /** Largest message body accepted from the broker, in bytes. Default: 128 MiB. */
  maxBodySize?: number;
  /** Hears connects, disconnects and failures (the library's `logger`). Default: none. */
  logger?: Logger | undefined;
}

/** A peer that broke the protocol: AMQP's reply code and what it did. */
class ProtocolError extends Error {
  constructor(readonly code: 501 | 505 | 540, what: string) {
    const name = { 501: "FRAME_ERROR", 505: "UNEXPECTED_FRAME", 540: "NOT_IMPLEMENTED" }[code];
    super(`The broker broke the AMQP protocol (${code} ${name}): ${what}`);
  }
}

/** AMQPBaseClient on Deno.Conn: TCP_NODELAY, coalesced writes, a peer that is checked. */
export class DenoAMQPClient extends AMQPBaseClient implements FrameSink {
  readonly #options: DenoClientOptions;
  readonly #maxBodySize: number;
  #conn: Deno.Conn | Deno.TlsConn | undefined;
  // Bytes waiting for the socket, copied in once; a write sends `#outbox[0, #queued)` while new
  // sends fill the other buffer (`#spare`), then the two trade places.
  // Each buffer keeps its DataView, so that trading places allocates nothing.
  #outbox = outboxOf(64 * 1024);
  #spare = outboxOf(64 * 1024);
  #queued = 0;
  #flushed: (() => void)[] = [];
  #writing = false;
  #lastRead = 0;
  #lastWrite = 0;
  #writeStarted = 0; // when the write in progress began; 0 when none is
  #heartbeatTimer: CancelTimer | undefined;
  // Per channel, what the next content frame must be: "header" after basic.deliver, get-ok or
  // return, then the body bytes still due; absent when no message is in progress.
  #content: ("header" | number)[] = [];
  #deliveries = new DeliveryAssembler();
  /** Deliveries that came before their consumer was registered, per channel. */
  #awaitingConsumer = new Map<number, AMQPMessage[]>();
  #failure: Error | undefined;
  /** Waiting for the broker to lift a block (connection.unblocked) or the connection to end. */
  #unblockWaiters: (() => void)[] = [];

  constructor(
    vhost: string,
    username: string,
    password: string,
    options: DenoClientOptions,
  ) {
    useDenoStrings(); // before the client library writes its first frame: see internals.ts
    const platform = `Deno ${Deno.version.deno} ${Deno.build.os} ${Deno.build.arch}`;
    super(
      vhost,
      username,
      password,
      options.name,
      platform,
      options.frameMax,
      options.heartbeat,
      options.channelMax ?? 0,
      options.logger,
    );
    this.#options = options;
    this.#maxBodySize = options.maxBodySize ?? 128 * 1024 * 1024;
  }

  /** Opens the socket and runs the AMQP handshake; `signal` aborts both. */
  override connect(signal?: AbortSignal): Promise<AMQPBaseClient> {
    this.channels = [new AMQPChannel(this, 0)];
    this.#content = [];
    this.#deliveries.clear();
    this.#failure = undefined;
    return new Promise((resolve, reject) => {
      // The signal covers the whole handshake, until connection.open-ok settles the promise.
      const onAbort = () => {
        const reason = signal?.reason;
        this.#fail(reason instanceof Error ? reason : new AMQPError("Connect aborted", this));
      };
      const settled = () => signal?.removeEventListener("abort", onAbort);
      this.connectPromise = [
        (client) => {
          settled();
          this.logger?.info(`amqp: connected to ${this.#address()}`);
          resolve(client);
        },
        (error) => (settled(), reject(error)),
      ];
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#open(signal).catch((error: Error) => this.#fail(error));
    });
  }

  /** Why the connection ended, when it ended other than by `close()`. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * Resolves once the broker no longer blocks publishing (a memory or disk alarm ended), or the
   * connection is gone; at once when it is not blocked.
   */
  whenUnblocked(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#unblockWaiters.push(resolve));
  }

  #wakeUnblockWaiters(): void {
    const waiters = this.#unblockWaiters;
    this.#unblockWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  /**
   * A channel, as the client opens one, but a {@linkcode DenoChannel}, whose publishes and acks
   * are written straight into the socket's queue; past `channelMax`, an error that says how
   * many the connection allows.
   */
  override channel(id?: number): Promise<AMQPChannel> {
    if (this.closed) return Promise.reject(new AMQPError("Connection closed", this));
    const existing = id && id > 0 ? this.channels[id] : undefined;
    if (existing) return Promise.resolve(existing);
    if (!id) id = this.channels.findIndex((channel) => channel === undefined);
    if (id === -1) id = this.channels.length;
    if (this.channelMax > 0 && id > this.channelMax) {
      return Promise.reject(
        new AMQPError(
          // The client library's own words first: code and tests match on them.
          `Max number of channels reached: this connection allows ${this.channelMax} ` +
            "(channelMax)",
          this,
        ),
      );
    }
    const channel = new DenoChannel(this, id);
    this.channels[id] = channel;
    return channel.open();
  }

  override close(reason?: string, code?: number): Promise<void> {
    // Acks held for coalescing go out first: closing would otherwise requeue what was acked.
    for (const channel of this.channels) if (channel instanceof DenoChannel) channel.flushAcks();
    if (!this.closed) this.logger?.info(`amqp: closing the connection to ${this.#address()}`);
    return super.close(reason, code);
  }

  #address(): string {
    return `${this.#options.hostname}:${this.#options.port}`;
  }

  async #open(signal?: AbortSignal): Promise<void> {
    const { hostname, port, tls, caCerts } = this.#options;
    const conn = tls
      ? await Deno.connectTls({ hostname, port, caCerts })
      : await Deno.connect({ hostname, port, signal });
    if (signal?.aborted || this.connectPromise === undefined) {
      conn.close();
      return;
    }
    if (!tls) (conn as Deno.TcpConn).setNoDelay(true);
    this.#conn = conn;
    this.#lastRead = this.#lastWrite = Date.now();
    this.#readLoop(conn);
    await this.send(PROTOCOL_HEADER);
  }

  /** Fails a pending connect, or reports a lost connection to channels and callbacks. */
  #fail(error: Error): void {
    const wasOpen = !this.closed;
    this.#failure ??= error;
    this.#release();
    this.closed = true;
    if (this.closePromise) {
      // A close() in progress: the connection is closed now, which is what it asked for.
      const [resolve] = this.closePromise;
      delete this.closePromise;
      resolve();
    }
    if (this.connectPromise) {
      const [, reject] = this.connectPromise;
      delete this.connectPromise;
      this.logger?.warn(`amqp: cannot connect to ${this.#address()}: ${error.message}`);
      reject(error);
      return;
    }
    if (!wasOpen) return;
    this.logger?.error(`amqp: connection to ${this.#address()} lost: ${error.message}`);
    const amqpError = error instanceof AMQPError ? error : new AMQPError(error.message, this);
    this.channels.forEach((channel) => channel?.setClosed(amqpError));
    this.channels = [new AMQPChannel(this, 0)];
    this.onerror(amqpError);
    this.ondisconnect?.(amqpError);
  }

  /** Tells the peer why (connection.close with the reply code), then drops the connection. */
  async #breakOff(error: ProtocolError): Promise<void> {
    const conn = this.#conn;
    if (conn) {
      const reason = shortText(error.message);
      const frame = encodeMethod(0, "connection.close", error.code, reason, 0, 0);
      // Best effort, and not for long: the peer is not to be trusted.
      const timeout = new Promise((resolve) => Deno.unrefTimer(setTimeout(resolve, 1000)));
      await Promise.race([writeAll(conn, frame).catch(() => {}), timeout]);
    }
    this.#fail(new AMQPError(error.message, this));
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    // Room for many frames per read: fewer reads, fewer parses. It grows only to hold one frame
    // of frame_max, which every frame's size is checked against before it is awaited.
    let buffer = new Uint8Array(Math.max(this.#options.frameMax * 2, READ_BUFFER));
    let filled = 0;
    let greeted = false;
    try {
      while (true) {
        const read = await conn.read(buffer.subarray(filled));
        if (read === null) {
          throw new AMQPError(
            greeted || filled === 0
              ? "Connection closed by the broker"
              : `Connection closed by the server after ${describeGreeting(buffer, filled)}`,
            this,
          );
        }
        this.#lastRead = Date.now();
        filled += read;
        if (!greeted) {
          const verdict = greeting(buffer, filled, this.#options.frameMax);
          if (verdict === "wait") continue;
          if (verdict !== "ok") throw new AMQPError(verdict, this);
          greeted = true;
        }
        const complete = this.#parse(buffer, filled, conn);
        if (this.#conn !== conn) return; // closed meanwhile, by the peer or by a callback
        buffer.copyWithin(0, complete, filled);
        filled -= complete;
        if (filled >= 7) {
          const needed = new DataView(buffer.buffer).getUint32(3) + FRAME_OVERHEAD;
          if (needed > buffer.length) {
            const larger = new Uint8Array(needed);
            larger.set(buffer.subarray(0, filled));
            buffer = larger;
          }
        }
        if (this.heartbeat > 0 && this.#heartbeatTimer === undefined && !this.closed) {
          this.#startHeartbeats();
        }
      }
    } catch (error) {
      if (this.#conn !== conn) return; // closed on purpose
      if (error instanceof ProtocolError) return await this.#breakOff(error);
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Checks and hands to the client every whole frame in `buffer[0, filled)`; returns where the
   * whole frames end. Most frames are parsed where they lie, in runs; two kinds are not:
   * heartbeats, which this transport answers on its own clock rather than one for one (a peer
   * flooding heartbeats would otherwise be flooded back), and content headers that carry a
   * headers table, which are parsed from a copy because the client returns a byte-array header
   * value as a view into what it parsed, and this buffer is reused by the next read.
   */
  #parse(buffer: Uint8Array, filled: number, conn: Deno.Conn): number {
    const view = new DataView(buffer.buffer, buffer.byteOffset, filled);
    const limit = this.#options.frameMax;
    let offset = 0;
    let run = 0; // start of the frames not yet parsed
    const parseRun = (end: number) => {
      if (end > run && this.#conn === conn) {
        this.parseFrames(new AMQPView(buffer.buffer, buffer.byteOffset + run, end - run));
      }
      run = end;
    };
    try {
      while (offset + 7 <= filled) {
        const type = buffer[offset]!;
        const channel = view.getUint16(offset + 1);
        const size = view.getUint32(offset + 3);
        if (type < Frame.Method || (type > Frame.Body && type !== Frame.Heartbeat)) {
          throw new ProtocolError(501, `a frame of unknown type ${type}`);
        }
        if (size + FRAME_OVERHEAD > limit) {
          throw new ProtocolError(
            501,
            `a frame of ${size + FRAME_OVERHEAD} bytes, over the frame_max of ${limit}`,
          );
        }
        const end = offset + size + FRAME_OVERHEAD;
        if (end > filled) break;
        if (buffer[end - 1] !== FRAME_END) {
          const found = buffer[end - 1]!.toString(16).padStart(2, "0");
          throw new ProtocolError(501, `a frame that ends in 0x${found}, not the frame-end 0xce`);
        }
        // Its declared size is authoritative: fields that end short of it would leave bytes the
        // client reads as frames of their own, which nothing above has checked.
        const problem = frameProblem(view, type, offset + 7, size);
        if (problem) {
          throw new ProtocolError(problem.includes("unknown class") ? 540 : 501, problem);
        }
        if (type === Frame.Heartbeat) {
          if (channel !== 0) throw new ProtocolError(501, `a heartbeat on channel ${channel}`);
          parseRun(offset);
          run = end; // dropped: heartbeats are answered on this transport's own clock
        } else if (this.#ownDelivery(view, type, channel, offset, size)) {
          // A consumer's delivery: read here, in place; the frames before it go first.
          parseRun(offset);
          run = end;
          if (this.#conn !== conn) break;
          this.#assemble(buffer, view, type, channel, offset + 7, size);
        } else if (this.#checkContent(view, type, channel, offset, size)) {
          // A content header with a headers table: parsed from a copy of its own.
          parseRun(offset);
          const copy = buffer.slice(offset, end);
          if (this.#conn === conn) this.parseFrames(new AMQPView(copy.buffer, 0, copy.length));
          run = end;
        }
        offset = end;
      }
    } catch (error) {
      parseRun(offset); // the frames before the bad one were good: they count
      throw error;
    }
    parseRun(offset);
    if (this.#unblockWaiters.length > 0 && !this.blocked) this.#wakeUnblockWaiters();
    return offset;
  }

  /**
   * Whether this frame belongs to a consumer delivery that this transport reads itself: a
   * basic.deliver on one of its channels, or the content of one (after the order checks).
   */
  #ownDelivery(view: DataView, type: number, channel: number, offset: number, size: number) {
    if (type === Frame.Method) {
      if (view.getUint32(offset + 7) !== (60 << 16 | 60)) return false;
      if (!(this.channels[channel] instanceof DenoChannel)) return false;
    } else if (!this.#deliveries.assembling(channel)) return false;
    this.#checkContent(view, type, channel, offset, size); // the order, and the body's size
    return true;
  }

  /** Puts a delivery together from its frames and hands it to its consumer once whole. */
  #assemble(
    bytes: Uint8Array,
    view: DataView,
    type: number,
    channel: number,
    at: number,
    size: number,
  ): void {
    const deliveries = this.#deliveries;
    const message = type === Frame.Method
      ? void deliveries.deliver(this.channels[channel]!, bytes, view, at)
      : type === Frame.Header
      ? deliveries.header(channel, bytes, view, at, this.frameMax)
      : deliveries.body(channel, bytes, at, size);
    if (!message) return;
    // A consumer's first deliveries come in the same read as its basic.consume-ok, before the
    // client has registered it (it does so a microtask later): those wait a microtask, and
    // what comes after them on the channel waits behind them, in order.
    const waiting = this.#awaitingConsumer.get(channel);
    if (waiting || !message.channel.consumers.has(message.consumerTag)) {
      if (waiting) return void waiting.push(message);
      this.#awaitingConsumer.set(channel, [message]);
      return queueMicrotask(() => {
        const messages = this.#awaitingConsumer.get(channel) ?? [];
        this.#awaitingConsumer.delete(channel);
        messages.forEach((m) => this.#handOver(m));
      });
    }
    this.#handOver(message);
  }

  /** Gives a whole delivery to its consumer. */
  #handOver(message: AMQPMessage): void {
    const consumer = message.channel.consumers.get(message.consumerTag);
    if (!consumer) {
      return this.logger?.warn(
        "Consumer",
        message.consumerTag,
        "not available on",
        message.channel.id,
      );
    }
    // Straight to the consumer, in order, as the bytes are read: no microtask per message. A
    // callback's failure surfaces as it would from the client library's own delivery.
    try {
      const pending = consumer.onMessage(message);
      if (pending instanceof Promise) {
        pending.catch((error) => this.logger?.warn("Consumer callback failed:", error));
      }
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /**
   * Follows each channel's messages through their frames (a basic.deliver, get-ok or return,
   * then a content header, then body frames adding up to its size) and refuses frames out of
   * that order (505). On the way it mends one thing the client would misread: it takes
   * basic.nack's `multiple` to be "the flags byte equals 1", but RabbitMQ sets the `requeue` bit
   * (value 2) on the nacks it sends to publishers, so a nack for several publishes (value 3)
   * would read as a nack for one and the others would never settle. Clearing `requeue`, which
   * means nothing on a publisher confirm, keeps `multiple`. Returns true for a content header
   * that carries a headers table.
   */
  #checkContent(view: DataView, type: number, channel: number, offset: number, size: number) {
    const expected = this.#content[channel];
    if (type === Frame.Method) {
      if (expected !== undefined) {
        throw new ProtocolError(505, `a method frame on channel ${channel} inside a message`);
      }
      if (size >= 4 && view.getUint16(offset + 7) === 60) {
        const method = view.getUint16(offset + 9);
        if (method === 60 || method === 71 || method === 50) this.#content[channel] = "header";
        if (method === 120 && size >= 13) {
          view.setUint8(offset + 19, view.getUint8(offset + 19) & 1);
        }
      }
      return false;
    }
    if (type === Frame.Header) {
      if (expected !== "header") {
        throw new ProtocolError(505, `a content header on channel ${channel} without a message`);
      }
      const bodySize = size >= 12 ? readUint64(view, offset + 11) : -1;
      if (bodySize < 0 || bodySize > this.#maxBodySize) {
        throw new ProtocolError(
          501,
          `a message body of ${bodySize} bytes, over the ${this.#maxBodySize} accepted`,
        );
      }
      if (bodySize === 0) delete this.#content[channel];
      else this.#content[channel] = bodySize;
      return size >= 16 && (view.getUint16(offset + 19) & 0x2000) !== 0;
    }
    if (typeof expected !== "number" || size > expected) {
      throw new ProtocolError(505, `a content body on channel ${channel} that no header announced`);
    }
    if (size === expected) delete this.#content[channel];
    else this.#content[channel] = expected - size;
    return false;
  }

  /**
   * Heartbeats every `heartbeat / 2` seconds when nothing else was sent, and the peer is taken
   * as gone after two heartbeat intervals without a byte from it, or with a write of ours it
   * did not read.
   */
  #startHeartbeats(): void {
    const interval = this.heartbeat * 1000;
    // Not setInterval: see clock.ts. Cancelled when the socket goes (#release).
    this.#heartbeatTimer = repeatEvery(Math.max(250, Math.min(1000, interval / 4)), () => {
      const now = Date.now();
      if (now - this.#lastRead > interval * 2) {
        return this.#fail(
          new AMQPError(`Heartbeat timeout: no data for ${interval * 2 / 1000} s`, this),
        );
      }
      if (this.#writeStarted > 0 && now - this.#writeStarted > interval * 2) {
        return this.#fail(
          new AMQPError(`The broker has not read what was sent for ${interval * 2 / 1000} s`, this),
        );
      }
      if (now - this.#lastWrite >= interval / 2) this.send(HEARTBEAT_FRAME).catch(() => {});
    });
  }

  /**
   * Queues bytes for the socket; everything queued while a write runs goes out in the next one.
   * Resolves once the bytes are queued (the base class's contract), so an ack or a publish does
   * not wait for a system call before the next one is made; the bytes are copied because the
   * client reuses its publish buffers as soon as this resolves. Past OUTBOX_WAIT queued bytes it
   * resolves only once they are written, which is the backpressure for a fast publisher; past
   * OUTBOX_MAX the peer is taken as not reading and the connection fails.
   *
   * If the socket fails, pending sends resolve too and the failure reaches every channel through
   * `#fail`: rejecting them instead would leave the client's publish-confirm promises of those
   * sends rejected with no handler (an unhandled rejection that ends the process).
   */
  override send(bytes: Uint8Array): Promise<void> {
    if (!this.#conn) return Promise.reject(new AMQPError("Socket not connected", this));
    const at = this.reserve(bytes.length);
    if (at >= 0) this.#outbox.bytes.set(bytes, at);
    return (at >= 0 ? this.commit(bytes.length) : undefined) ?? Promise.resolve();
  }

  /**
   * Room for `size` more bytes at the end of the queue for the socket: returns where they go in
   * {@linkcode outBytes} / {@linkcode outView}, or -1 when the connection is gone (its failure
   * reaches the channels through #fail). Write there, then {@linkcode commit} what was written:
   * frames built in place, with no copy and no allocation (DenoChannel publishes and acks so).
   */
  reserve(size: number): number {
    if (!this.#conn) return -1;
    if (this.#queued + size > OUTBOX_MAX) {
      this.#fail(
        new AMQPError(`The broker does not read: ${OUTBOX_MAX >> 20} MiB wait to be sent`, this),
      );
      return -1;
    }
    if (this.#queued + size > this.#outbox.bytes.length) {
      const larger = outboxOf(Math.max(this.#outbox.bytes.length * 2, this.#queued + size));
      larger.bytes.set(this.#outbox.bytes.subarray(0, this.#queued));
      this.#outbox = larger;
    }
    return this.#queued;
  }

  /** A channel closed: whatever message it was receiving will not be finished. */
  channelClosed(id: number): void {
    delete this.#content[id];
    this.#deliveries.forget(id);
  }

  /** The bytes {@linkcode reserve} hands out offsets into. */
  get outBytes(): Uint8Array {
    return this.#outbox.bytes;
  }

  /** {@linkcode outBytes}, as a DataView. */
  get outView(): DataView {
    return this.#outbox.view;
  }

  /**
   * Queues the `used` bytes written after {@linkcode reserve}. Returns `undefined` when the
   * caller need not wait, or a promise that resolves once the queue is written (past
   * OUTBOX_WAIT: the backpressure for a fast publisher).
   */
  commit(used: number): Promise<void> | undefined {
    this.#queued += used;
    if (!this.#writing) this.#flush();
    return this.#queued > OUTBOX_WAIT
      ? new Promise<void>((resolve) => this.#flushed.push(resolve))
      : undefined;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queued > 0 && this.#conn) {
        const out = this.#outbox.bytes.subarray(0, this.#queued);
        const flushed = this.#flushed;
        [this.#outbox, this.#spare] = [this.#spare, this.#outbox];
        this.#queued = 0;
        this.#flushed = [];
        this.#writeStarted = Date.now();
        try {
          await writeAll(this.#conn, out);
          this.#lastWrite = Date.now();
        } catch (error) {
          this.#fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
          this.#writeStarted = 0;
          flushed.forEach((resolve) => resolve());
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  protected override closeSocket(): void {
    this.closed = true;
    this.#release();
  }

  #release(): void {
    this.#wakeUnblockWaiters();
    this.#heartbeatTimer?.();
    this.#heartbeatTimer = undefined;
    const conn = this.#conn;
    this.#conn = undefined;
    const unsent = this.#flushed; // dropped with the socket; see send()
    this.#queued = 0;
    this.#flushed = [];
    unsent.forEach((resolve) => resolve());
    try {
      conn?.close();
    } catch {
      // already closed by the peer
    }
  }
}

/** A buffer for the socket's queue, with its DataView. */
function outboxOf(size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

/**
 * Whether the first bytes from the server begin an AMQP 0-9-1 session (a connection.start
 * method frame on channel 0): "ok", "wait" for more bytes, or one line saying what it is.
 */
function greeting(buffer: Uint8Array, filled: number, frameMax: number): "ok" | "wait" | string {
  const starts = (text: string) =>
    [...text].every((c, i) => i >= filled || buffer[i] === c.charCodeAt(0));
  if (buffer[0] === Frame.Method) {
    const view = new DataView(buffer.buffer, buffer.byteOffset);
    // A frame over frame_max is refused as such, before its content is awaited.
    if (filled >= 7 && view.getUint32(3) + FRAME_OVERHEAD > frameMax) return "ok";
    if (filled < 11) return "wait";
    if (view.getUint16(1) === 0 && view.getUint32(7) === (10 << 16 | 10)) return "ok";
    return `The server's first frame is not connection.start (${describeGreeting(buffer, filled)})`;
  }
  if (starts("AMQP")) {
    if (filled < 8) return "wait";
    // 0-9-1 writes its version as 0, 0, 9, 1; 1.0 as a protocol id, then 1, 0, 0.
    const version = buffer[5] === 0 ? `0-${buffer[6]}-${buffer[7]}` : `${buffer[5]}.${buffer[6]}`;
    return `The server speaks AMQP ${version}, not 0-9-1 (is it RabbitMQ, on its AMQP 0-9-1 port?)`;
  }
  if (starts("HTTP/")) {
    if (filled < 5) return "wait";
    return "The server answered in HTTP, not AMQP (is this the management port? AMQP is " +
      "usually on 5672)";
  }
  if ((buffer[0] === 0x15 || buffer[0] === 0x16) && (filled < 2 || buffer[1] === 3)) {
    if (filled < 2) return "wait";
    return "The server answered in TLS (is this a TLS port? then use amqps://, usually on 5671)";
  }
  return `The server sent bytes that are not AMQP (${describeGreeting(buffer, filled)})`;
}

/** The longest start of `text` that fits a short string (255 bytes of UTF-8). */
function shortText(text: string): string {
  let short = text.slice(0, 255);
  while (new TextEncoder().encode(short).length > 255) short = short.slice(0, -1);
  return short;
}

function describeGreeting(buffer: Uint8Array, filled: number): string {
  const shown = [...buffer.subarray(0, Math.min(filled, 16))]
    .map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return `${filled} bytes: ${shown}${filled > 16 ? " …" : ""}`;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
