// Text into bytes without an allocation per call: what a line or a message body per message
// would otherwise cost a script that sends a million of them; and bytes into text as the
// client library's Node Buffer decodes them, without loading Buffer.

const encoder = new TextEncoder();
/** Decodes as the client's Buffer does: UTF-8, invalid bytes replaced, a BOM kept. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Writes `text` as UTF-8 into `bytes` at `at` (room for `room` bytes) and returns how many bytes
 * it took: ASCII byte by byte, anything else through `encodeInto`.
 */
export function writeText(bytes: Uint8Array, at: number, text: string, room: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 127) return encoder.encodeInto(text, bytes.subarray(at, at + room)).written;
    bytes[at + i] = code;
  }
  return text.length;
}

/**
 * `bytes` as UTF-8 text, as Node's `Buffer.toString()` gives it (each invalid sequence as
 * U+FFFD, a byte-order mark kept); short ASCII made into a string directly.
 */
export function textOf(bytes: Uint8Array): string {
  if (bytes.length > 64) return utf8.decode(bytes);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return utf8.decode(bytes);
  return Reflect.apply(String.fromCharCode, null, bytes);
}
