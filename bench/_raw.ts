// The broker's own ceiling, for bench/bench.ts: AMQP spoken by hand on a raw socket, doing as
// little as a client can, so that what is left is the broker's work. Publishing: every frame is
// built before the clock starts and written in 1 MiB writes. Consuming: the read buffer is
// parsed where it lies, synchronously (no promise or object per frame), and deliveries are
// acked with one basic.ack (multiple) per quarter of the prefetch window. The bench's client
// cases are shown as a fraction of these, and a client faster than its ceiling is reported as a
// broken ceiling. Deliveries are acked a quarter of the prefetch window at a time, as the
// transport coalesces a consumer's acks: fewer ack frames is less work for the broker.

import {
  BASIC_ACK_SIZE,
  encodeBody,
  encodeContentHeader,
  encodeMethod,
  FrameType,
  writeBasicAck,
} from "../lib/transport/frames.ts";
import { brokerUrls, parseBrokerUrl } from "../lib/amqp/urls.ts";

const encoder = new TextEncoder();

/** Frames, joined into one buffer for one write. */
function joined(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += frame.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/** A frame found in the read buffer: where its payload lies. */
interface Frame {
  type: number;
  channel: number;
  /** The payload is `view[start, start + size)`. */
  view: DataView;
  start: number;
  size: number;
}

/** A hand-spoken AMQP connection with channel 1 open. */
export class RawConnection {
  #buffer = new Uint8Array(4 * 1024 * 1024);
  #view = new DataView(this.#buffer.buffer);
  #filled = 0;
  #parsed = 0;

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects and opens channel 1, with no heartbeats and a 128 KiB frame_max. */
  static async open(url: string): Promise<RawConnection> {
    // The first broker of a list, parsed as the scripts parse it: an error never shows a password.
    const u = parseBrokerUrl(brokerUrls(url)[0]!, url);
    const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) || 5672 });
    conn.setNoDelay(true);
    const raw = new RawConnection(conn);
    await raw.write(new Uint8Array([65, 77, 81, 80, 0, 0, 9, 1]));
    await raw.expect(10, 10); // connection.start
    const user = decodeURIComponent(u.username) || "guest";
    const password = decodeURIComponent(u.password) || "guest";
    await raw.write(
      encodeMethod(0, "connection.start-ok", {}, "PLAIN", `\0${user}\0${password}`, "en_US"),
    );
    const tune = await raw.expect(10, 30);
    await raw.write(joined([
      encodeMethod(0, "connection.tune-ok", tune.view.getUint16(tune.start + 4), 131072, 0),
      encodeMethod(0, "connection.open", decodeURIComponent(u.pathname.slice(1)) || "/", 0),
      encodeMethod(1, "channel.open"),
    ]));
    await raw.expect(10, 41);
    await raw.expect(20, 11);
    return raw;
  }

  /** Writes all of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.length;) done += await this.conn.write(bytes.subarray(done));
  }

  /** Writes `bytes` in 1 MiB writes, as fast as the socket takes them. */
  async writeAll(bytes: Uint8Array): Promise<void> {
    for (let i = 0; i < bytes.length; i += 1 << 20) {
      await this.write(bytes.subarray(i, i + (1 << 20)));
    }
  }

  /**
   * Hands each whole frame to `onFrame`, synchronously: those already read, else those of one
   * more read from the socket. `onFrame` returning `true` stops there, leaving the frames after
   * it for the next call. Resolves `false` when the peer has closed.
   */
  async read(onFrame: (frame: Frame) => boolean | void): Promise<boolean> {
    if (this.#drain(onFrame)) return true;
    if (this.#parsed > 0) {
      this.#buffer.copyWithin(0, this.#parsed, this.#filled);
      this.#filled -= this.#parsed;
      this.#parsed = 0;
    }
    const read = await this.conn.read(this.#buffer.subarray(this.#filled));
    if (read === null) return false;
    this.#filled += read;
    this.#drain(onFrame);
    return true;
  }

  /** The whole frames in the buffer, to `onFrame`; whether there was any. */
  #drain(onFrame: (frame: Frame) => boolean | void): boolean {
    const view = this.#view;
    const frame: Frame = { type: 0, channel: 0, view, start: 0, size: 0 };
    const from = this.#parsed;
    let at = from;
    while (at + 7 <= this.#filled) {
      const size = view.getUint32(at + 3);
      if (at + size + 8 > this.#filled) break;
      frame.type = view.getUint8(at);
      frame.channel = view.getUint16(at + 1);
      frame.start = at + 7;
      frame.size = size;
      at += size + 8;
      if (onFrame(frame) === true) break;
    }
    this.#parsed = at;
    return at > from;
  }

  /** Reads until a method frame of `classId`.`methodId`; returns a copy of it. */
  async expect(classId: number, methodId: number): Promise<Frame> {
    let found: Frame | undefined;
    while (!found) {
      const ok = await this.read((frame) => {
        if (frame.type !== FrameType.Method) return;
        const { view, start } = frame;
        if (view.getUint16(start) === classId && view.getUint16(start + 2) === methodId) {
          const copy = new Uint8Array(view.buffer.slice(start, start + frame.size));
          found = { ...frame, view: new DataView(copy.buffer), start: 0 };
          return true;
        }
      });
      if (!ok) throw new Error(`the broker closed the connection before ${classId}.${methodId}`);
    }
    return found;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** `count` basic.publish frame sets (method, header, body) to `queue`, ready to write. */
export function publishFrames(
  queue: string,
  count: number,
  body: (i: number) => string,
  persistent: boolean,
): Uint8Array {
  const method = encodeMethod(1, "basic.publish", "", queue, 0);
  const properties = new Uint8Array(persistent ? [0x10, 0, 2] : [0, 0]); // delivery mode 2
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const payload = encoder.encode(body(i));
    frames.push(method, encodeContentHeader(1, payload.length, properties), encodeBody(1, payload));
  }
  return joined(frames);
}

/** Puts channel 1 in confirm mode (confirm.select, then select-ok). */
export async function rawConfirmSelect(raw: RawConnection): Promise<void> {
  await raw.write(encodeMethod(1, "confirm.select", 0));
  await raw.expect(85, 11);
}

/** Reads confirms until every one of `count` publishes is answered; returns how many nacked. */
export async function rawConfirms(raw: RawConnection, count: number): Promise<number> {
  let through = 0; // every tag up to here is answered (RabbitMQ confirms in order)
  let nacked = 0;
  while (through < count) {
    const ok = await raw.read(({ type, view, start }) => {
      if (type !== FrameType.Method || view.getUint16(start) !== 60) return;
      const method = view.getUint16(start + 2);
      if (method !== 80 && method !== 120) return;
      const tag = Number(view.getBigUint64(start + 4));
      const settled = (view.getUint8(start + 12) & 1) === 1 ? tag - through : 1;
      if (method === 120) nacked += settled;
      through = Math.max(through, tag);
    });
    if (!ok) throw new Error("the broker closed the connection before confirming");
  }
  return nacked;
}

/**
 * Consumes `count` messages from `queue` at `prefetch` (with `args`, such as a stream's
 * offset) and calls `onBody` with each body's bytes. One basic.ack (multiple) acks a quarter of
 * the prefetch window at a time (the broker never runs out of window), and the last ack covers
 * the last delivery. Resolves after the last ack is written.
 */
export async function rawConsume(
  raw: RawConnection,
  queue: string,
  count: number,
  prefetch: number,
  onBody: (view: DataView, start: number, size: number) => void,
  args: Record<string, string> = {},
): Promise<void> {
  await raw.write(joined([
    encodeMethod(1, "basic.qos", 0, prefetch, 0),
    encodeMethod(1, "basic.consume", queue, "", 0, args),
  ]));
  const ack = new Uint8Array(BASIC_ACK_SIZE);
  const ackView = new DataView(ack.buffer);
  let taken = 0;
  let lastTag = 0;
  let acked = 0;
  const batch = Math.max(1, Math.floor(prefetch / 4));
  while (taken < count) {
    const ok = await raw.read(({ type, view, start, size }) => {
      if (type === FrameType.Method) {
        if (view.getUint16(start) === 60 && view.getUint16(start + 2) === 60) {
          const tagAt = start + 5 + view.getUint8(start + 4); // after the consumer tag
          lastTag = Number(view.getBigUint64(tagAt));
        }
      } else if (type === FrameType.Body && taken < count) {
        onBody(view, start, size);
        taken++;
      }
    });
    if (!ok) throw new Error("the broker closed the connection while consuming");
    if (lastTag - acked >= batch || (taken >= count && lastTag > acked)) {
      writeBasicAck(ackView, 0, 1, lastTag, true);
      await raw.write(ack);
      acked = lastTag;
    }
  }
}
