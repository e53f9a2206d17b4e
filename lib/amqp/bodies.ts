/**
 * Message bodies as text, strictly: a body that is not valid UTF-8 is an error with a safe,
 * readable preview, never silently replaced by U+FFFD.
 *
 * @module
 */

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a message body as UTF-8, throwing a `TypeError` with a hex preview of the first bytes
 * when it is not valid UTF-8.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { bodyText } from "./bodies.ts";
 *
 * deepEqual(bodyText(new TextEncoder().encode("héllo")), "héllo");
 * throws(() => bodyText(new Uint8Array([0xff, 0xfe, 0x41])), /not valid UTF-8 \(3 bytes: ff fe 41\)/);
 * ```
 */
export function bodyText(body: Uint8Array | null): string {
  if (!body) return "";
  try {
    return strict.decode(body);
  } catch {
    throw new TypeError(`Body is not valid UTF-8 (${bytePreview(body)})`);
  }
}

/**
 * Shows bytes as hex, at most `limit` of them: `3 bytes: ff fe 41`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { bytePreview } from "./bodies.ts";
 *
 * deepEqual(bytePreview(new Uint8Array(20), 2), "20 bytes: 00 00 …");
 * ```
 */
export function bytePreview(bytes: Uint8Array, limit = 16): string {
  const shown = [...bytes.subarray(0, limit)].map((b) => b.toString(16).padStart(2, "0"));
  return `${bytes.length} bytes: ${shown.join(" ")}${bytes.length > limit ? " …" : ""}`;
}
