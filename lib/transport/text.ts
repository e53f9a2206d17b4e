// Text into bytes without an allocation per call: what a line or a message body per message
// would otherwise cost a script that sends a million of them.

const encoder = new TextEncoder();

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
