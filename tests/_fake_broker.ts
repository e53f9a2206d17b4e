// A scripted AMQP 0-9-1 peer for the transport's tests: a `Deno.listen` on a free local port
// that says exactly what a test tells it to, byte by byte, including what a real broker never
// would (oversized frames, wrong frame ends, floods, HTTP). Its well-formed frames come from the
// project's one codec (lib/transport/frames.ts); the byte helpers are for the lies.

import {
  encodeContentHeader,
  encodeFrame,
  encodeMethod,
  HEARTBEAT,
} from "../lib/transport/frames.ts";

const encoder = new TextEncoder();

/** Bytes, concatenated. */
export function bytes(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((part) => part instanceof Uint8Array ? part : new Uint8Array(part));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

const u8 = (n: number) => [n & 0xff];
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u64 = (n: number) => [...u32(Math.floor(n / 2 ** 32)), ...u32(n >>> 0)];
/** An AMQP short string: one length byte, then UTF-8. */
export const shortstr = (text: string) =>
  bytes(u8(encoder.encode(text).length), encoder.encode(text));
/** An AMQP long string: four length bytes, then the bytes. */
export const longstr = (data: string | Uint8Array) => {
  const raw = typeof data === "string" ? encoder.encode(data) : data;
  return bytes(u32(raw.length), raw);
};
export { u16, u32, u64, u8 };

/** A frame: type, channel, size, payload, frame end (any octet, for a lie). */
export const frame = encodeFrame;

/** A method frame of class `classId`, method `methodId`, with fields given as raw bytes. */
export function method(channel: number, classId: number, methodId: number, ...args: Uint8Array[]) {
  return frame(1, channel, bytes(u16(classId), u16(methodId), ...args));
}

/**
 * A basic content header (class 60) for a body of `bodySize`, with an optional headers table
 * (its encoded bytes, length prefix included).
 */
export function contentHeader(channel: number, bodySize: number, headers?: Uint8Array) {
  return encodeContentHeader(channel, bodySize, bytes(u16(headers ? 0x2000 : 0), headers ?? []));
}

/** A heartbeat frame. */
export const heartbeat = () => HEARTBEAT;

/** The server's half of a handshake, as RabbitMQ sends it. */
export const connectionStart = () =>
  encodeMethod(0, "connection.start", 0, 9, {}, "PLAIN", "en_US");
export const connectionTune = (channelMax = 2047, frameMax = 131072, heartbeat = 60) =>
  encodeMethod(0, "connection.tune", channelMax, frameMax, heartbeat);
export const connectionOpenOk = () => encodeMethod(0, "connection.open-ok");
export const connectionClose = (code: number, text: string) =>
  encodeMethod(0, "connection.close", code, text, 0, 0);
export const channelOpenOk = (channel: number) => encodeMethod(channel, "channel.open-ok");
export const getOk = (channel: number, tag: number) =>
  encodeMethod(channel, "basic.get-ok", tag, 0, "", "q", 0);
export const blocked = (reason: string) => encodeMethod(0, "connection.blocked", reason);
export const unblocked = () => encodeMethod(0, "connection.unblocked");

/** A frame the client sent. */
export interface ClientFrame {
  type: number;
  channel: number;
  classId?: number;
  methodId?: number;
  payload: Uint8Array;
}

/** The server's end of one client connection. */
export interface Peer {
  /** The next frame the client sends (after its 8-byte protocol header, read by `accept`). */
  readFrame(): Promise<ClientFrame>;
  /** Reads frames until one of class `classId`, method `methodId`, and returns it. */
  expect(classId: number, methodId: number): Promise<ClientFrame>;
  write(data: Uint8Array): Promise<void>;
  /** Completes the handshake the client starts; returns once it sent connection.open. */
  handshake(tune?: { channelMax?: number; frameMax?: number; heartbeat?: number }): Promise<void>;
  /** Answers the client's next channel.open. */
  openChannel(): Promise<number>;
  /** Every byte the client sent, counted. */
  readonly received: number;
  /** Reads (and drops) what the client sends until it closes its end. */
  untilClosed(): Promise<void>;
  close(): void;
}

/**
 * Listens on a free local port and runs `script` for the first client that connects (after
 * reading its protocol header). Dispose of it to stop listening; `done` settles with the script.
 */
export function fakeBroker(
  script: (peer: Peer) => Promise<void>,
): { port: number; url: string; done: Promise<void> } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  let conn: Deno.Conn | undefined;
  const done = (async () => {
    conn = await listener.accept();
    (conn as Deno.TcpConn).setNoDelay(true);
    let buffer: Uint8Array = new Uint8Array(0);
    let received = 0;
    const chunk = new Uint8Array(65536);
    const fill = async (n: number) => {
      while (buffer.length < n) {
        const read = await conn!.read(chunk).catch(() => null);
        if (read === null) throw new Error("the client closed the connection");
        received += read;
        buffer = bytes(buffer, chunk.subarray(0, read));
      }
    };
    const take = (n: number) => {
      const out = buffer.slice(0, n);
      buffer = buffer.slice(n);
      return out;
    };
    const peer: Peer = {
      async readFrame() {
        await fill(7);
        const size = new DataView(buffer.buffer).getUint32(3);
        await fill(size + 8);
        const raw = take(size + 8);
        const view = new DataView(raw.buffer);
        const type = raw[0]!;
        return {
          type,
          channel: view.getUint16(1),
          classId: type === 1 ? view.getUint16(7) : undefined,
          methodId: type === 1 ? view.getUint16(9) : undefined,
          payload: raw.slice(7, 7 + size),
        };
      },
      async expect(classId, methodId) {
        while (true) {
          const frame = await peer.readFrame();
          if (frame.classId === classId && frame.methodId === methodId) return frame;
        }
      },
      async write(data) {
        let written = 0;
        while (written < data.length) written += await conn!.write(data.subarray(written));
      },
      async handshake(tune = {}) {
        await peer.write(connectionStart());
        await peer.expect(10, 11); // start-ok
        await peer.write(connectionTune(tune.channelMax, tune.frameMax, tune.heartbeat));
        await peer.expect(10, 31); // tune-ok
        await peer.expect(10, 40); // open
        await peer.write(connectionOpenOk());
      },
      async openChannel() {
        const open = await peer.expect(20, 10);
        await peer.write(channelOpenOk(open.channel));
        return open.channel;
      },
      get received() {
        return received;
      },
      async untilClosed() {
        while (true) {
          buffer = new Uint8Array(0);
          await fill(1).catch(() => null);
          if (buffer.length === 0) return;
        }
      },
      close: () => {
        try {
          conn?.close();
        } catch { /* already closed */ }
      },
    };
    await fill(8);
    take(8); // "AMQP" 0 0 9 1
    await script(peer);
    // Then behave: answer the client's connection.close, so that it can close cleanly.
    peer.expect(10, 50).then(() => peer.write(encodeMethod(0, "connection.close-ok")))
      .then(peer.close, peer.close);
  })();
  done.catch(() => {}); // the test awaits it when it cares
  return {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    done,
    async [Symbol.asyncDispose]() {
      listener.close();
      try {
        conn?.close();
      } catch { /* already closed */ }
      await done.catch(() => {});
    },
  };
}
