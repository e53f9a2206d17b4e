// An AMQP 0-9-1 transport on Deno's own sockets.
//
// The client package's AMQPClient runs on `node:net`/`node:tls`, which costs a Deno process
// 50-80 ms just to load and leaves Nagle's algorithm on, so every request/reply waits on a
// delayed ACK. Its abstract AMQPBaseClient holds the whole protocol and only asks a subclass to
// connect, send bytes and close; this file answers those three with `Deno.connect` /
// `Deno.connectTls` and TCP_NODELAY from the first byte.

import { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPError } from "@cloudamqp/amqp-client/amqp-error";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";

const PROTOCOL_HEADER = new Uint8Array([65, 77, 81, 80, 0, 0, 9, 1]); // "AMQP" 0-9-1
const FRAME_OVERHEAD = 8; // type (1) + channel (2) + size (4) + frame end (1)
const OUTBOX_LIMIT = 1024 * 1024; // queued bytes past which a send waits for the socket

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
  frameMax: number;
}

/** AMQPBaseClient on Deno.Conn: TCP_NODELAY, coalesced writes, heartbeat timeout. */
export class DenoAMQPClient extends AMQPBaseClient {
  readonly #options: DenoClientOptions;
  #conn: Deno.Conn | Deno.TlsConn | undefined;
  // Bytes waiting for the socket, copied in once; a write sends `#outbox[0, #queued)` while new
  // sends fill the other buffer (`#spare`), then the two trade places.
  #outbox = new Uint8Array(64 * 1024);
  #spare = new Uint8Array(64 * 1024);
  #queued = 0;
  #flushed: (() => void)[] = [];
  #writing = false;
  #lastRead = 0;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    vhost: string,
    username: string,
    password: string,
    options: DenoClientOptions,
  ) {
    const platform = `Deno ${Deno.version.deno} ${Deno.build.os} ${Deno.build.arch}`;
    super(
      vhost,
      username,
      password,
      options.name,
      platform,
      options.frameMax,
      options.heartbeat,
      0,
      null,
    );
    this.#options = options;
  }

  /** Opens the socket and runs the AMQP handshake; `signal` aborts both. */
  override connect(signal?: AbortSignal): Promise<AMQPBaseClient> {
    this.channels = [new AMQPChannel(this, 0)];
    return new Promise((resolve, reject) => {
      // The signal covers the whole handshake, until connection.open-ok settles the promise.
      const onAbort = () => {
        const reason = signal?.reason;
        this.#fail(reason instanceof Error ? reason : new AMQPError("Connect aborted", this));
      };
      const settled = () => signal?.removeEventListener("abort", onAbort);
      this.connectPromise = [
        (client) => (settled(), resolve(client)),
        (error) => (settled(), reject(error)),
      ];
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#open(signal).catch((error: Error) => this.#fail(error));
    });
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
    this.#lastRead = Date.now();
    this.#readLoop(conn);
    await this.send(PROTOCOL_HEADER);
  }

  /** Fails a pending connect, or reports a lost connection to channels and callbacks. */
  #fail(error: Error): void {
    const wasOpen = !this.closed;
    this.#release();
    this.closed = true;
    if (this.connectPromise) {
      const [, reject] = this.connectPromise;
      delete this.connectPromise;
      reject(error);
      return;
    }
    if (!wasOpen) return;
    const amqpError = error instanceof AMQPError ? error : new AMQPError(error.message, this);
    this.channels.forEach((channel) => channel?.setClosed(amqpError));
    this.channels = [new AMQPChannel(this, 0)];
    this.onerror(amqpError);
    this.ondisconnect?.(amqpError);
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    // Room for many frames per read: fewer reads, fewer parses.
    let buffer = new Uint8Array(Math.max(this.#options.frameMax * 2, 256 * 1024));
    let filled = 0;
    try {
      while (true) {
        if (filled === buffer.length) {
          const larger = new Uint8Array(buffer.length * 2);
          larger.set(buffer);
          buffer = larger;
        }
        const read = await conn.read(buffer.subarray(filled));
        if (read === null) throw new AMQPError("Connection closed by the broker", this);
        this.#lastRead = Date.now();
        filled += read;
        const complete = completeFrames(buffer, filled);
        if (complete === 0) continue;
        // parseFrames copies bodies out of the view, so the buffer can be reused afterwards.
        this.parseFrames(new AMQPView(buffer.buffer, 0, complete));
        buffer.copyWithin(0, complete, filled);
        filled -= complete;
        if (this.heartbeat > 0 && this.#heartbeatTimer === undefined && !this.closed) {
          this.#startHeartbeatWatch();
        }
      }
    } catch (error) {
      if (this.#conn !== conn) return; // closed on purpose
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The broker sends a heartbeat every `heartbeat` seconds; two missed ones mean it is gone. */
  #startHeartbeatWatch(): void {
    const limit = this.heartbeat * 2 * 1000;
    const timer = setInterval(() => {
      if (Date.now() - this.#lastRead > limit) {
        this.#fail(new AMQPError(`Heartbeat timeout: no data for ${limit / 1000} s`, this));
      }
    }, 1000);
    Deno.unrefTimer(timer);
    this.#heartbeatTimer = timer;
  }

  /**
   * Queues bytes for the socket; everything queued while a write runs goes out in the next one.
   * Resolves once the bytes are queued (the base class's contract), so an ack or a publish does
   * not wait for a system call before the next one is made; the bytes are copied because the
   * client reuses its publish buffers as soon as this resolves. Past OUTBOX_LIMIT queued bytes it
   * resolves only once they are written, which is the backpressure for a fast publisher.
   *
   * If the socket fails, pending sends resolve too and the failure reaches every channel through
   * `#fail`: rejecting them instead would leave the client's publish-confirm promises of those
   * sends rejected with no handler (an unhandled rejection that ends the process).
   */
  override send(bytes: Uint8Array): Promise<void> {
    if (!this.#conn) return Promise.reject(new AMQPError("Socket not connected", this));
    if (this.#queued + bytes.length > this.#outbox.length) {
      const larger = new Uint8Array(Math.max(this.#outbox.length * 2, this.#queued + bytes.length));
      larger.set(this.#outbox.subarray(0, this.#queued));
      this.#outbox = larger;
    }
    this.#outbox.set(bytes, this.#queued);
    this.#queued += bytes.length;
    const written = this.#queued > OUTBOX_LIMIT
      ? new Promise<void>((resolve) => this.#flushed.push(resolve))
      : Promise.resolve();
    if (!this.#writing) this.#flush();
    return written;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queued > 0 && this.#conn) {
        const out = this.#outbox.subarray(0, this.#queued);
        const flushed = this.#flushed;
        [this.#outbox, this.#spare] = [this.#spare, this.#outbox];
        this.#queued = 0;
        this.#flushed = [];
        try {
          await writeAll(this.#conn, out);
        } catch (error) {
          this.#fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
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
    clearInterval(this.#heartbeatTimer);
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

/** Length of the prefix of `buffer[0, filled)` that holds only whole frames. */
/**
 * Length of the prefix of `buffer[0, filled)` that holds only whole frames. On the way it mends
 * one thing the client would misread: it takes basic.nack's `multiple` to be "the flags byte
 * equals 1", but RabbitMQ sets the `requeue` bit (value 2) on the nacks it sends to publishers,
 * so a nack for several publishes (value 3) would read as a nack for one and the others would
 * never settle. Clearing `requeue`, which means nothing on a publisher confirm, keeps `multiple`.
 */
function completeFrames(buffer: Uint8Array, filled: number): number {
  const view = new DataView(buffer.buffer, buffer.byteOffset, filled);
  let offset = 0;
  while (offset + 7 <= filled) {
    const size = view.getUint32(offset + 3);
    const end = offset + size + FRAME_OVERHEAD;
    if (end > filled) break;
    // a method frame of class 60 (basic), method 120 (nack): delivery-tag(8), then flags(1)
    if (buffer[offset] === 1 && size >= 13 && view.getUint32(offset + 7) === (60 << 16 | 120)) {
      buffer[offset + 19]! &= 1;
    }
    offset = end;
  }
  return offset;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
