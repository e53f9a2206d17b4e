/**
 * A content header's properties, headers table included, read from where they lie in the read
 * buffer, into the same values the client library's own parser gives (`AMQPView.getProperties`
 * and `getTable`), without a TextDecoder made per string: one decoder for all, and the short
 * strings that repeat from message to message (consumer tags, exchanges, routing keys, header
 * names) looked up by their bytes instead of decoded again. Byte-array values are copied, since
 * the buffer is reused by the next read. The frame was checked whole (frames.ts) before this
 * reads it.
 *
 * @module
 */

import type { AMQPProperties, Field } from "@cloudamqp/amqp-client/amqp-properties";

const decoder = new TextDecoder();

/**
 * Short strings seen before, by their bytes: the strings a consumer sees on every delivery are
 * few, so most reads are a comparison of a handful of bytes.
 */
export class ShortStrings {
  #bytes: Uint8Array[] = [];
  #texts: string[] = [];
  #next = 0;

  /** The UTF-8 text of `length` bytes at `at` of `bytes`. */
  read(bytes: Uint8Array, at: number, length: number): string {
    if (length === 0) return "";
    const known = this.#bytes;
    for (let i = 0; i < known.length; i++) {
      const candidate = known[i]!;
      if (candidate.length !== length) continue;
      let same = true;
      for (let j = 0; j < length; j++) {
        if (candidate[j] !== bytes[at + j]) {
          same = false;
          break;
        }
      }
      if (same) return this.#texts[i]!;
    }
    const text = decoder.decode(bytes.subarray(at, at + length));
    // A few of the latest: enough for the strings of a consumer, bounded for any other.
    const slot = this.#next++ % 16;
    known[slot] = bytes.slice(at, at + length);
    this.#texts[slot] = text;
    return text;
  }
}

/** Reads properties and tables from one buffer, moving `at` along. */
export class PropertyReader {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
    readonly strings: ShortStrings,
  ) {}

  shortstr(): string {
    const length = this.bytes[this.at]!;
    const text = this.strings.read(this.bytes, this.at + 1, length);
    this.at += 1 + length;
    return text;
  }

  longstr(): string {
    const length = this.view.getUint32(this.at);
    const text = decoder.decode(this.bytes.subarray(this.at + 4, this.at + 4 + length));
    this.at += 4 + length;
    return text;
  }

  /**
   * A signed 64-bit integer as the client gives it (`Number(getBigInt64())`), without a BigInt:
   * the high half times 2^32 is exact, so the one rounding of the sum is the BigInt's.
   */
  int64(): number {
    const value = this.view.getInt32(this.at) * 2 ** 32 + this.view.getUint32(this.at + 4);
    this.at += 8;
    return value;
  }

  /** The properties of a content header, from its property flags on, set on `properties`. */
  properties(properties: AMQPProperties): void {
    const flags = this.view.getUint16(this.at);
    this.at += 2;
    if (flags === 0) return;
    if (flags & 0x8000) properties.contentType = this.shortstr();
    if (flags & 0x4000) properties.contentEncoding = this.shortstr();
    if (flags & 0x2000) properties.headers = this.table();
    if (flags & 0x1000) properties.deliveryMode = this.bytes[this.at++]!;
    if (flags & 0x0800) properties.priority = this.bytes[this.at++]!;
    if (flags & 0x0400) properties.correlationId = this.shortstr();
    if (flags & 0x0200) properties.replyTo = this.shortstr();
    if (flags & 0x0100) properties.expiration = this.shortstr();
    if (flags & 0x0080) properties.messageId = this.shortstr();
    if (flags & 0x0040) properties.timestamp = new Date(this.int64() * 1000);
    if (flags & 0x0020) properties.type = this.shortstr();
    if (flags & 0x0010) properties.userId = this.shortstr();
    if (flags & 0x0008) properties.appId = this.shortstr();
  }

  /** A field table, as the client reads one. */
  table(): Record<string, Field> {
    const end = this.at + 4 + this.view.getUint32(this.at);
    this.at += 4;
    const table: Record<string, Field> = {};
    while (this.at < end) {
      const key = this.shortstr();
      table[key] = this.field();
    }
    return table;
  }

  /** One field value, by its type octet, as the client's `getField` gives it. */
  field(): Field {
    const { view } = this;
    const type = this.bytes[this.at++]!;
    const at = this.at;
    switch (type) {
      case 0x74: // t
        this.at += 1;
        return view.getUint8(at) === 1;
      case 0x62: // b
        this.at += 1;
        return view.getInt8(at);
      case 0x42: // B
        this.at += 1;
        return view.getUint8(at);
      case 0x73: // s
        this.at += 2;
        return view.getInt16(at);
      case 0x75: // u
        this.at += 2;
        return view.getUint16(at);
      case 0x49: // I
        this.at += 4;
        return view.getInt32(at);
      case 0x69: // i
        this.at += 4;
        return view.getUint32(at);
      case 0x6c: // l
        return this.int64();
      case 0x66: // f
        this.at += 4;
        return view.getFloat32(at);
      case 0x64: // d
        this.at += 8;
        return view.getFloat64(at);
      case 0x53: // S
        return this.longstr();
      case 0x46: // F
        return this.table();
      case 0x41: { // A
        const end = at + 4 + view.getUint32(at);
        this.at += 4;
        const array: Field[] = [];
        while (this.at < end) array.push(this.field());
        return array;
      }
      case 0x78: { // x: copied, since the buffer is reused by the next read
        const length = view.getUint32(at);
        this.at += 4 + length;
        return this.bytes.slice(at + 4, at + 4 + length);
      }
      case 0x54: // T
        return new Date(this.int64() * 1000);
      case 0x56: // V
        return null;
      case 0x44: { // D
        const scale = view.getUint8(at);
        this.at += 5;
        return view.getUint32(at + 1) / 10 ** scale;
      }
      default: // frames.ts refuses the frame before it gets here
        throw new Error(`Field type '${type}' not supported`);
    }
  }
}
