// The broker's own ceiling, for bench/bench.ts: AMQP spoken by hand on a raw socket, doing as
// little as a client can (publish frames built before the clock starts and written in large
// chunks; deliveries acked by patching a delivery tag into a ready-made ack frame), so that
// what is left is the broker's work. The bench's client cases are shown as a fraction of these.

const FRAME_END = 0xce;
const encoder = new TextEncoder();

/** A growable byte buffer for building frames. */
class Bytes {
  #buffer = new Uint8Array(1024);
  #view = new DataView(this.#buffer.buffer);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.#buffer.length) return;
    const larger = new Uint8Array(Math.max(this.#buffer.length * 2, this.length + n));
    larger.set(this.#buffer.subarray(0, this.length));
    this.#buffer = larger;
    this.#view = new DataView(larger.buffer);
  }
  u8(n: number) {
    this.#room(1);
    this.#view.setUint8(this.length++, n);
    return this;
  }
  u16(n: number) {
    this.#room(2);
    this.#view.setUint16(this.length, n);
    this.length += 2;
    return this;
  }
  u32(n: number) {
    this.#room(4);
    this.#view.setUint32(this.length, n);
    this.length += 4;
    return this;
  }
  u64(n: number) {
    this.#room(8);
    this.#view.setBigUint64(this.length, BigInt(n));
    this.length += 8;
    return this;
  }
  raw(bytes: Uint8Array) {
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }
  short(text: string) {
    const bytes = encoder.encode(text);
    return this.u8(bytes.length).raw(bytes);
  }
  long(bytes: Uint8Array) {
    return this.u32(bytes.length).raw(bytes);
  }
  /** A frame around whatever `fill` writes. */
  frame(type: number, channel: number, fill: (payload: Bytes) => void) {
    this.u8(type).u16(channel);
    const sizeAt = this.length;
    this.u32(0);
    fill(this);
    this.#view.setUint32(sizeAt, this.length - sizeAt - 4);
    return this.u8(FRAME_END);
  }
  method(channel: number, classId: number, methodId: number, fill: (p: Bytes) => void = () => {}) {
    return this.frame(1, channel, (p) => fill(p.u16(classId).u16(methodId)));
  }
  get bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}

/** A hand-spoken AMQP connection with channel 1 open. */
export interface RawConnection {
  conn: Deno.TcpConn;
  /**
   * Reads whole frames, [type, channel, payload] each, and `null` each time the bytes read so
   * far are used up, before the next read (the moment to flush what the frames called for).
   */
  frames(): AsyncGenerator<[number, number, DataView] | null>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

/** Connects and opens channel 1, with no heartbeats and a 128 KiB frame_max. */
export async function rawConnect(url: string): Promise<RawConnection> {
  const u = new URL(url);
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) || 5672 });
  conn.setNoDelay(true);
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(1024 * 1024);
  async function* frames(): AsyncGenerator<[number, number, DataView] | null> {
    while (true) {
      let offset = 0;
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
      while (offset + 7 <= buffer.length) {
        const size = view.getUint32(offset + 3);
        if (offset + size + 8 > buffer.length) break;
        yield [
          buffer[offset]!,
          view.getUint16(offset + 1),
          new DataView(buffer.buffer, buffer.byteOffset + offset + 7, size),
        ];
        offset += size + 8;
      }
      buffer = buffer.slice(offset);
      yield null;
      const read = await conn.read(chunk);
      if (read === null) return;
      const joined = new Uint8Array(buffer.length + read);
      joined.set(buffer);
      joined.set(chunk.subarray(0, read), buffer.length);
      buffer = joined;
    }
  }
  const write = async (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
  };
  const reader = frames();
  const next = async () => {
    while (true) {
      const frame = (await reader.next()).value;
      if (frame) return frame;
    }
  };
  await write(new Uint8Array([65, 77, 81, 80, 0, 0, 9, 1]));
  await next(); // connection.start
  const user = decodeURIComponent(u.username) || "guest";
  const password = decodeURIComponent(u.password) || "guest";
  await write(
    new Bytes().method(
      0,
      10,
      11,
      (p) => p.u32(0).short("PLAIN").long(encoder.encode(`\0${user}\0${password}`)).short("en_US"),
    ).bytes,
  );
  const [, , tune] = await next();
  const channelMax = tune.getUint16(4);
  await write(
    new Bytes()
      .method(0, 10, 31, (p) => p.u16(channelMax).u32(131072).u16(0))
      .method(0, 10, 40, (p) => p.short(decodeURIComponent(u.pathname.slice(1)) || "/").u8(0).u8(0))
      .method(1, 20, 10, (p) => p.short(""))
      .bytes,
  );
  await next(); // connection.open-ok
  await next(); // channel.open-ok
  return {
    conn,
    frames: () => reader,
    write,
    close: () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}

/** `count` basic.publish frame sets (method, header, body) to `queue`, ready to write. */
export function publishFrames(
  queue: string,
  count: number,
  body: (i: number) => string,
  persistent: boolean,
): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const payload = encoder.encode(body(i));
    out.method(1, 60, 40, (p) => p.u16(0).short("").short(queue).u8(0));
    out.frame(2, 1, (p) => {
      p.u16(60).u16(0).u64(payload.length);
      if (persistent) p.u16(0x1000).u8(2);
      else p.u16(0);
    });
    out.frame(3, 1, (p) => p.raw(payload));
  }
  return out.bytes;
}

/** Writes pre-built frames in 256 KiB chunks, as fast as the socket takes them. */
export async function writeFrames(raw: RawConnection, frames: Uint8Array): Promise<void> {
  for (let i = 0; i < frames.length; i += 256 * 1024) {
    await raw.write(frames.subarray(i, i + 256 * 1024));
  }
}

/**
 * Consumes `count` messages from `queue` at `prefetch`, acking each with its own basic.ack,
 * as the client cases do, and calls `onBody` with each body's text. Resolves after the last ack
 * is written.
 */
export async function rawConsume(
  raw: RawConnection,
  queue: string,
  count: number,
  prefetch: number,
  onBody: (text: string) => void,
): Promise<void> {
  await raw.write(
    new Bytes()
      .method(1, 60, 10, (p) => p.u32(0).u16(prefetch).u8(0))
      .method(1, 60, 20, (p) => p.u16(0).short(queue).short("").u8(0).u32(0))
      .bytes,
  );
  const ack = new Bytes().method(1, 60, 80, (p) => p.u64(0).u8(0)).bytes;
  const acks = new Uint8Array(ack.length * Math.max(prefetch, 1) * 2);
  let pending = 0;
  let taken = 0;
  const decoder = new TextDecoder();
  for (let frame; (frame = await next(raw)) !== undefined;) {
    if (frame === null) {
      // Everything read so far is handled: ack it in one write, as a client's transport would.
      if (pending > 0) await raw.write(acks.slice(0, pending * ack.length));
      pending = 0;
      continue;
    }
    const [type, , payload] = frame;
    if (type === 1 && payload.getUint16(0) === 60 && payload.getUint16(2) === 60) {
      const tagAt = 4 + 1 + payload.getUint8(4); // after the consumer tag
      acks.set(ack, pending * ack.length);
      new DataView(acks.buffer, pending * ack.length).setBigUint64(11, payload.getBigUint64(tagAt));
      pending++;
    } else if (type === 3) {
      onBody(
        decoder.decode(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)),
      );
      if (++taken === count) {
        await raw.write(acks.slice(0, pending * ack.length));
        return;
      }
    }
  }
}

/** Puts channel 1 in confirm mode (confirm.select, then select-ok). */
export async function rawConfirmSelect(raw: RawConnection): Promise<void> {
  await raw.write(new Bytes().method(1, 85, 10, (p) => p.u8(0)).bytes);
  for (let frame; (frame = await next(raw)) !== undefined;) {
    if (frame && frame[0] === 1 && frame[2].getUint16(0) === 85) return;
  }
}

/** Reads basic.ack frames until every one of `count` publishes is confirmed. */
export async function rawConfirms(raw: RawConnection, count: number): Promise<number> {
  let through = 0; // every tag up to here is confirmed (RabbitMQ confirms in order)
  let nacked = 0;
  for (let frame; (frame = await next(raw)) !== undefined;) {
    if (!frame || frame[0] !== 1 || frame[2].getUint16(0) !== 60) continue;
    const method = frame[2].getUint16(2);
    if (method !== 80 && method !== 120) continue;
    const tag = Number(frame[2].getBigUint64(4));
    const multiple = (frame[2].getUint8(12) & 1) === 1;
    const settled = multiple ? tag - through : 1;
    if (method === 120) nacked += settled;
    through = multiple ? tag : Math.max(through, tag);
    if (through >= count) break;
  }
  return nacked;
}

/**
 * The next frame (or `null` at the end of what was read), `undefined` at the end of the
 * stream. Not a `for await`: leaving one would close the reader that later calls go on with.
 */
async function next(
  raw: RawConnection,
): Promise<[number, number, DataView] | null | undefined> {
  const { done, value } = await raw.frames().next();
  return done ? undefined : value;
}
