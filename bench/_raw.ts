// The broker's own ceiling, for bench/bench.ts: AMQP spoken by hand on a raw socket, doing as
// little as a client can (publish frames built before the clock starts and written in large
// chunks; deliveries acked by patching a delivery tag into a ready-made ack frame), so that
// what is left is the broker's work. The bench's client cases are shown as a fraction of these.

import {
  BASIC_ACK_SIZE,
  encodeBody,
  encodeContentHeader,
  encodeMethod,
  writeBasicAck,
} from "../lib/transport/frames.ts";

const encoder = new TextEncoder();

/** Frames, joined into one buffer for one write. */
function joined(...frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
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
    encodeMethod(0, "connection.start-ok", {}, "PLAIN", `\0${user}\0${password}`, "en_US"),
  );
  const [, , tune] = await next();
  const channelMax = tune.getUint16(4);
  await write(joined(
    encodeMethod(0, "connection.tune-ok", channelMax, 131072, 0),
    encodeMethod(0, "connection.open", decodeURIComponent(u.pathname.slice(1)) || "/", 0),
    encodeMethod(1, "channel.open"),
  ));
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
  const method = encodeMethod(1, "basic.publish", "", queue, 0);
  const properties = new Uint8Array(persistent ? [0x10, 0, 2] : [0, 0]); // delivery mode 2
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const payload = encoder.encode(body(i));
    frames.push(method, encodeContentHeader(1, payload.length, properties), encodeBody(1, payload));
  }
  return joined(...frames);
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
  await raw.write(joined(
    encodeMethod(1, "basic.qos", 0, prefetch, 0),
    encodeMethod(1, "basic.consume", queue, "", 0, {}),
  ));
  const acks = new Uint8Array(BASIC_ACK_SIZE * Math.max(prefetch, 1) * 2);
  const acksView = new DataView(acks.buffer);
  let pending = 0;
  let taken = 0;
  const decoder = new TextDecoder();
  for (let frame; (frame = await next(raw)) !== undefined;) {
    if (frame === null) {
      // Everything read so far is handled: ack it in one write, as a client's transport would.
      if (pending > 0) await raw.write(acks.slice(0, pending * BASIC_ACK_SIZE));
      pending = 0;
      continue;
    }
    const [type, , payload] = frame;
    if (type === 1 && payload.getUint16(0) === 60 && payload.getUint16(2) === 60) {
      const tagAt = 4 + 1 + payload.getUint8(4); // after the consumer tag
      const tag = Number(payload.getBigUint64(tagAt));
      writeBasicAck(acksView, pending++ * BASIC_ACK_SIZE, 1, tag, false);
    } else if (type === 3) {
      onBody(
        decoder.decode(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)),
      );
      if (++taken === count) {
        await raw.write(acks.slice(0, pending * BASIC_ACK_SIZE));
        return;
      }
    }
  }
}

/** Puts channel 1 in confirm mode (confirm.select, then select-ok). */
export async function rawConfirmSelect(raw: RawConnection): Promise<void> {
  await raw.write(encodeMethod(1, "confirm.select", 0));
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
