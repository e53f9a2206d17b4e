/**
 * AMQP 0-9-1 frames as bytes, the one codec of this project: the frame layout, every method's
 * fields, encoders for them (the transport, the bench's raw client and the tests' scripted peer
 * all build their frames here), and the check that a received frame's fields end exactly where
 * the frame says it ends. The client library walks a frame's fields and then steps over one
 * byte as the frame end, so bytes left inside a frame's declared size would be read as further
 * frames that no size check ever saw; here a frame is taken at its word or refused.
 *
 * @module
 */

/** The octet that ends every frame. */
export const FRAME_END = 0xce;
/** Bytes around a frame's payload: type (1), channel (2), size (4), frame end (1). */
export const FRAME_OVERHEAD = 8;

/** Frame types. */
export const FrameType = { Method: 1, Header: 2, Body: 3, Heartbeat: 8 } as const;

/**
 * A method field as AMQP 0-9-1 lays it out. `bits` is one octet of packed flags. `reserved`
 * fields are written empty (0) and take no value when encoding; received ones must be empty,
 * as RabbitMQ sends them (the client steps over them by a fixed length).
 */
export type FieldKind =
  | "octet"
  | "short"
  | "long"
  | "longlong"
  | "shortstr"
  | "longstr"
  | "table"
  | "bits"
  | "reserved-short"
  | "reserved-shortstr"
  | "reserved-longstr";

/** A method: its class and method ids, its name and its fields, in order. */
export interface MethodSpec {
  classId: number;
  methodId: number;
  name: string;
  fields: readonly FieldKind[];
}

const CLOSE: FieldKind[] = ["short", "shortstr", "short", "short"];
const BIND: FieldKind[] = ["reserved-short", "shortstr", "shortstr", "shortstr", "bits", "table"];

/** Every method of AMQP 0-9-1 that RabbitMQ or a client sends. */
export const METHODS: readonly MethodSpec[] = [
  [10, 10, "connection.start", ["octet", "octet", "table", "longstr", "longstr"]],
  [10, 11, "connection.start-ok", ["table", "shortstr", "longstr", "shortstr"]],
  [10, 20, "connection.secure", ["longstr"]],
  [10, 21, "connection.secure-ok", ["longstr"]],
  [10, 30, "connection.tune", ["short", "long", "short"]],
  [10, 31, "connection.tune-ok", ["short", "long", "short"]],
  [10, 40, "connection.open", ["shortstr", "reserved-shortstr", "bits"]],
  [10, 41, "connection.open-ok", ["reserved-shortstr"]],
  [10, 50, "connection.close", CLOSE],
  [10, 51, "connection.close-ok", []],
  [10, 60, "connection.blocked", ["shortstr"]],
  [10, 61, "connection.unblocked", []],
  [10, 70, "connection.update-secret", ["longstr", "shortstr"]],
  [10, 71, "connection.update-secret-ok", []],
  [20, 10, "channel.open", ["reserved-shortstr"]],
  [20, 11, "channel.open-ok", ["reserved-longstr"]],
  [20, 20, "channel.flow", ["bits"]],
  [20, 21, "channel.flow-ok", ["bits"]],
  [20, 40, "channel.close", CLOSE],
  [20, 41, "channel.close-ok", []],
  [40, 10, "exchange.declare", ["reserved-short", "shortstr", "shortstr", "bits", "table"]],
  [40, 11, "exchange.declare-ok", []],
  [40, 20, "exchange.delete", ["reserved-short", "shortstr", "bits"]],
  [40, 21, "exchange.delete-ok", []],
  [40, 30, "exchange.bind", BIND],
  [40, 31, "exchange.bind-ok", []],
  [40, 40, "exchange.unbind", BIND],
  [40, 51, "exchange.unbind-ok", []],
  [50, 10, "queue.declare", ["reserved-short", "shortstr", "bits", "table"]],
  [50, 11, "queue.declare-ok", ["shortstr", "long", "long"]],
  [50, 20, "queue.bind", BIND],
  [50, 21, "queue.bind-ok", []],
  [50, 30, "queue.purge", ["reserved-short", "shortstr", "bits"]],
  [50, 31, "queue.purge-ok", ["long"]],
  [50, 40, "queue.delete", ["reserved-short", "shortstr", "bits"]],
  [50, 41, "queue.delete-ok", ["long"]],
  [50, 50, "queue.unbind", ["reserved-short", "shortstr", "shortstr", "shortstr", "table"]],
  [50, 51, "queue.unbind-ok", []],
  [60, 10, "basic.qos", ["long", "short", "bits"]],
  [60, 11, "basic.qos-ok", []],
  [60, 20, "basic.consume", ["reserved-short", "shortstr", "shortstr", "bits", "table"]],
  [60, 21, "basic.consume-ok", ["shortstr"]],
  [60, 30, "basic.cancel", ["shortstr", "bits"]],
  [60, 31, "basic.cancel-ok", ["shortstr"]],
  [60, 40, "basic.publish", ["reserved-short", "shortstr", "shortstr", "bits"]],
  [60, 50, "basic.return", ["short", "shortstr", "shortstr", "shortstr"]],
  [60, 60, "basic.deliver", ["shortstr", "longlong", "bits", "shortstr", "shortstr"]],
  [60, 70, "basic.get", ["reserved-short", "shortstr", "bits"]],
  [60, 71, "basic.get-ok", ["longlong", "bits", "shortstr", "shortstr", "long"]],
  // The client reads get-empty's reserved field as a string of any length.
  [60, 72, "basic.get-empty", ["shortstr"]],
  [60, 80, "basic.ack", ["longlong", "bits"]],
  [60, 90, "basic.reject", ["longlong", "bits"]],
  [60, 100, "basic.recover-async", ["bits"]],
  [60, 110, "basic.recover", ["bits"]],
  [60, 111, "basic.recover-ok", []],
  [60, 120, "basic.nack", ["longlong", "bits"]],
  [85, 10, "confirm.select", ["bits"]],
  [85, 11, "confirm.select-ok", []],
  [90, 10, "tx.select", []],
  [90, 11, "tx.select-ok", []],
  [90, 20, "tx.commit", []],
  [90, 21, "tx.commit-ok", []],
  [90, 30, "tx.rollback", []],
  [90, 31, "tx.rollback-ok", []],
].map(([classId, methodId, name, fields]) => ({
  classId: classId as number,
  methodId: methodId as number,
  name: name as string,
  fields: fields as FieldKind[],
}));

const byId = new Map(METHODS.map((spec) => [spec.classId << 16 | spec.methodId, spec]));
const byName = new Map(METHODS.map((spec) => [spec.name, spec]));

/** The method with these ids, if AMQP 0-9-1 has one. */
export function methodSpec(classId: number, methodId: number): MethodSpec | undefined {
  return byId.get(classId << 16 | methodId);
}

/** A method's name, as {@linkcode METHODS} spells them. */
export type MethodName = string;

/**
 * A field's value for {@linkcode encodeMethod}: a number (or bigint) for the integer kinds and
 * `bits`, a string for strings (or bytes for a longstr), and for a table either its encoded
 * bytes (length prefix included) or an object of strings, numbers, booleans, bytes and tables.
 */
export type FieldValue = number | bigint | string | Uint8Array | TableValue;
/** A table to encode: what {@linkcode encodeTable} takes. */
export interface TableValue {
  [key: string]: string | number | boolean | Uint8Array | TableValue;
}

const encoder = new TextEncoder();

/**
 * One frame: type, channel, payload size, payload, frame end. `end` is for scripted peers that
 * must send a broken frame; everything else leaves it.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { encodeFrame, FrameType } from "./frames.ts";
 *
 * deepEqual(encodeFrame(FrameType.Heartbeat, 0, new Uint8Array()), new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0xce]));
 * ```
 */
export function encodeFrame(
  type: number,
  channel: number,
  payload: Uint8Array,
  end = FRAME_END,
): Uint8Array {
  const frame = new Uint8Array(payload.length + FRAME_OVERHEAD);
  const view = new DataView(frame.buffer);
  view.setUint8(0, type);
  view.setUint16(1, channel);
  view.setUint32(3, payload.length);
  frame.set(payload, 7);
  frame[frame.length - 1] = end;
  return frame;
}

/** A heartbeat frame. */
export const HEARTBEAT: Uint8Array = encodeFrame(FrameType.Heartbeat, 0, new Uint8Array());

/**
 * A method frame, its fields encoded by the method's spec: pass a value for each field that is
 * not `reserved`, in order.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { encodeMethod, frameProblem } from "./frames.ts";
 *
 * const frame = encodeMethod(1, "basic.ack", 42, 0);
 * deepEqual(frame.length, 21);
 * deepEqual(frameProblem(new DataView(frame.buffer), 1, 7, frame.length - 8), undefined);
 * ```
 */
export function encodeMethod(channel: number, name: MethodName, ...values: FieldValue[]) {
  const spec = byName.get(name);
  if (!spec) throw new RangeError(`Cannot encode "${name}": not an AMQP 0-9-1 method`);
  const out = new Writer();
  out.u16(spec.classId).u16(spec.methodId);
  let i = 0;
  for (const kind of spec.fields) {
    if (kind.startsWith("reserved")) {
      if (kind === "reserved-short") out.u16(0);
      else if (kind === "reserved-shortstr") out.u8(0);
      else out.u32(0);
      continue;
    }
    if (i >= values.length) {
      throw new RangeError(`Cannot encode ${name}: ${spec.fields.length} fields, fewer values`);
    }
    out.field(kind, values[i++]!);
  }
  if (i !== values.length) throw new RangeError(`Cannot encode ${name}: too many values`);
  return encodeFrame(FrameType.Method, channel, out.bytes());
}

/**
 * A content header frame (class 60) for a body of `bodySize` bytes, with `properties` already
 * encoded (flags first); by default none.
 */
export function encodeContentHeader(
  channel: number,
  bodySize: number,
  properties: Uint8Array = new Uint8Array(2),
): Uint8Array {
  const out = new Writer();
  out.u16(60).u16(0).u64(bodySize).raw(properties);
  return encodeFrame(FrameType.Header, channel, out.bytes());
}

/** A body frame carrying `bytes`. */
export function encodeBody(channel: number, bytes: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.Body, channel, bytes);
}

/**
 * A field table, length prefix included: strings as long strings, booleans, whole numbers as
 * signed 64-bit, other numbers as doubles, bytes as byte arrays, objects as tables.
 */
export function encodeTable(table: TableValue): Uint8Array {
  const out = new Writer();
  out.table(table);
  return out.bytes();
}

/** Bytes appended to a growing buffer, big-endian. */
class Writer {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  #room(n: number): number {
    if (this.#length + n > this.#bytes.length) {
      const larger = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + n));
      larger.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = larger;
      this.#view = new DataView(larger.buffer);
    }
    const at = this.#length;
    this.#length += n;
    return at;
  }
  u8(n: number): this {
    const at = this.#room(1); // first: it may grow the buffer and replace the view
    this.#view.setUint8(at, n);
    return this;
  }
  u16(n: number): this {
    const at = this.#room(2);
    this.#view.setUint16(at, n);
    return this;
  }
  u32(n: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, n);
    return this;
  }
  u64(n: number | bigint): this {
    const at = this.#room(8);
    this.#view.setBigUint64(at, BigInt(n));
    return this;
  }
  raw(bytes: Uint8Array): this {
    const at = this.#room(bytes.length);
    this.#bytes.set(bytes, at);
    return this;
  }
  shortstr(text: string): this {
    const bytes = encoder.encode(text);
    if (bytes.length > 255) {
      throw new RangeError(`Cannot encode a short string of ${bytes.length} bytes`);
    }
    return this.u8(bytes.length).raw(bytes);
  }
  longstr(data: string | Uint8Array): this {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return this.u32(bytes.length).raw(bytes);
  }
  table(table: TableValue | Uint8Array): this {
    if (table instanceof Uint8Array) return this.raw(table);
    const at = this.#room(4);
    for (const [key, value] of Object.entries(table)) {
      this.shortstr(key);
      if (typeof value === "string") this.u8(0x53).longstr(value); // S
      else if (typeof value === "boolean") this.u8(0x74).u8(value ? 1 : 0); // t
      else if (typeof value === "number" && Number.isInteger(value)) {
        this.u8(0x6c).u64(BigInt.asUintN(64, BigInt(value))); // l
      } else if (typeof value === "number") {
        this.u8(0x64);
        const at = this.#room(8);
        this.#view.setFloat64(at, value); // d
      } else if (value instanceof Uint8Array) this.u8(0x78).longstr(value); // x
      else this.u8(0x46).table(value); // F
    }
    this.#view.setUint32(at, this.#length - at - 4);
    return this;
  }
  field(kind: FieldKind, value: FieldValue): this {
    switch (kind) {
      case "octet":
      case "bits":
        return this.u8(Number(value));
      case "short":
        return this.u16(Number(value));
      case "long":
        return this.u32(Number(value));
      case "longlong":
        return this.u64(value as number | bigint);
      case "shortstr":
        return this.shortstr(String(value));
      case "longstr":
        return this.longstr(value as string | Uint8Array);
      case "table":
        return this.table(value as TableValue | Uint8Array);
      default:
        throw new RangeError(`Cannot encode a value for a ${kind} field`);
    }
  }
  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Content header property flags, from the highest bit down, and what each carries. */
const PROPERTIES: readonly [number, FieldKind][] = [
  [0x8000, "shortstr"], // content-type
  [0x4000, "shortstr"], // content-encoding
  [0x2000, "table"], // headers
  [0x1000, "octet"], // delivery-mode
  [0x0800, "octet"], // priority
  [0x0400, "shortstr"], // correlation-id
  [0x0200, "shortstr"], // reply-to
  [0x0100, "shortstr"], // expiration
  [0x0080, "shortstr"], // message-id
  [0x0040, "longlong"], // timestamp
  [0x0020, "shortstr"], // type
  [0x0010, "shortstr"], // user-id
  [0x0008, "shortstr"], // app-id
];
/** Flags the client does not read: cluster-id, and the bits that announce more flags. */
const UNREAD_PROPERTIES = 0x0007;

/** Tables inside tables: deeper than this is refused, before a parser's stack runs out. */
const MAX_DEPTH = 32;

/**
 * Why a frame's payload at `view[start, start + size)` is not what its frame type and method
 * say, as a phrase (`"a connection.unblocked frame of 60 bytes whose fields take 4"`), or
 * `undefined` when its fields end exactly at its end. Method and content header frames are
 * checked field by field, tables entry by entry; body frames carry bytes, which fit by
 * definition; heartbeats carry nothing.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { frameProblem } from "./frames.ts";
 *
 * // connection.unblocked (10, 61) has no fields: 4 bytes of class and method ids, no more.
 * const payload = new DataView(new Uint8Array([0, 10, 0, 61, 1, 2]).buffer);
 * deepEqual(frameProblem(payload, 1, 0, 4), undefined);
 * deepEqual(frameProblem(payload, 1, 0, 6), "a connection.unblocked frame of 6 bytes whose fields take 4");
 * ```
 */
export function frameProblem(
  view: DataView,
  type: number,
  start: number,
  size: number,
): string | undefined {
  const end = start + size;
  if (type === FrameType.Heartbeat) {
    return size === 0 ? undefined : `a heartbeat of ${size} bytes (it carries none)`;
  }
  if (type === FrameType.Body) return undefined;
  if (type === FrameType.Header) {
    if (size < 14) return `a content header of ${size} bytes (at least 14)`;
    const flags = view.getUint16(start + 12);
    if (flags & UNREAD_PROPERTIES) {
      return `a content header with property flags 0x${flags.toString(16)} ` +
        "(cluster-id or more flags, which the client cannot read)";
    }
    let at = start + 14;
    // An index loop, and none for no properties: this runs for every delivery.
    for (let i = 0; flags !== 0 && i < PROPERTIES.length; i++) {
      const [flag, kind] = PROPERTIES[i]!;
      if (flags & flag) at = field(view, kind, at, end, 0);
    }
    return at === end ? undefined : mismatch("content header", size, at - start);
  }
  if (type !== FrameType.Method) return `a frame of unknown type ${type}`;
  if (size < 4) return `a method frame of ${size} bytes (at least 4)`;
  const classId = view.getUint16(start);
  const methodId = view.getUint16(start + 2);
  const spec = methodSpec(classId, methodId);
  if (!spec) return `a method of unknown class and id (${classId}, ${methodId})`;
  let at = start + 4;
  for (const kind of spec.fields) at = field(view, kind, at, end, 0);
  return at === end ? undefined : mismatch(spec.name, size, at - start);
}

function mismatch(what: string, size: number, taken: number): string {
  return taken > size
    ? `a ${what} frame of ${size} bytes whose fields run past its end`
    : `a ${what} frame of ${size} bytes whose fields take ${taken}`;
}

/**
 * Where the field of `kind` at `at` ends, or `Infinity` once anything runs past `end` (the
 * frame's or the table's) or cannot be read (an unknown field type, tables nested too deep).
 */
function field(view: DataView, kind: FieldKind | string, at: number, end: number, depth: number) {
  if (at > end) return Infinity;
  let next: number;
  switch (kind) {
    case "octet":
    case "bits":
    case "t":
    case "b":
    case "B":
      next = at + 1;
      break;
    case "short":
    case "reserved-short":
    case "s":
    case "u":
      next = at + 2;
      break;
    case "long":
    case "I":
    case "i":
    case "f":
      next = at + 4;
      break;
    case "longlong":
    case "l":
    case "d":
    case "T":
      next = at + 8;
      break;
    case "D":
      next = at + 5;
      break;
    case "V":
      next = at;
      break;
    case "shortstr":
      next = at >= end ? Infinity : at + 1 + view.getUint8(at);
      break;
    case "reserved-shortstr":
      next = at < end && view.getUint8(at) === 0 ? at + 1 : Infinity;
      break;
    case "longstr":
    case "S":
    case "x":
      next = at + 4 > end ? Infinity : at + 4 + view.getUint32(at);
      break;
    case "reserved-longstr":
      next = at + 4 <= end && view.getUint32(at) === 0 ? at + 4 : Infinity;
      break;
    case "table":
    case "F":
    case "A": {
      if (at + 4 > end || depth >= MAX_DEPTH) return Infinity;
      const stop = at + 4 + view.getUint32(at);
      if (stop > end) return Infinity;
      let inner = at + 4;
      const array = kind === "A";
      while (inner < stop) {
        if (!array) inner = field(view, "shortstr", inner, stop, depth); // the key
        if (inner >= stop) return Infinity;
        const type = String.fromCharCode(view.getUint8(inner));
        if (!"tbBsuIilfdDSxATFV".includes(type)) return Infinity;
        inner = field(view, type, inner + 1, stop, depth + 1);
      }
      return inner === stop ? stop : Infinity;
    }
    default:
      return Infinity;
  }
  return next > end ? Infinity : next;
}

/**
 * Writes a frame's first seven bytes (type, channel, payload size) at `at` of `view`, for frames
 * built in place, straight into the bytes waiting for the socket; the payload follows, then
 * {@linkcode FRAME_END}.
 */
export function writeFrameStart(
  view: DataView,
  at: number,
  type: number,
  channel: number,
  size: number,
): void {
  view.setUint8(at, type);
  view.setUint16(at + 1, channel);
  view.setUint32(at + 3, size);
}

/** The 64-bit unsigned integer at `at`, as a number (exact up to 2^53), without a BigInt. */
export function readUint64(view: DataView, at: number): number {
  return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
}

/** The size of a basic.ack frame. */
export const BASIC_ACK_SIZE = 21;

/** Writes a whole basic.ack frame at `at`: {@linkcode BASIC_ACK_SIZE} bytes. */
export function writeBasicAck(
  view: DataView,
  at: number,
  channel: number,
  deliveryTag: number,
  multiple: boolean,
): void {
  writeFrameStart(view, at, FrameType.Method, channel, 13);
  view.setUint32(at + 7, (60 << 16) | 80);
  view.setUint32(at + 11, Math.floor(deliveryTag / 2 ** 32));
  view.setUint32(at + 15, deliveryTag >>> 0);
  view.setUint8(at + 19, multiple ? 1 : 0);
  view.setUint8(at + 20, FRAME_END);
}
