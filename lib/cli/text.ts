/**
 * Text from messages (bodies, routing keys, headers, a broker's reply texts) made safe to
 * print: it cannot forge a line or drive the terminal.
 *
 * @module
 */

import { bodyText, bytePreview } from "../amqp/bodies.ts";

/**
 * A body for display: quoted text when it is UTF-8, else a hex preview in angle brackets, so
 * binary or broken bodies never garble a terminal. The text is {@linkcode printable}: a body
 * cannot forge a line or drive the terminal. `raw: true` leaves the text as it is.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { showBody } from "./text.ts";
 *
 * deepEqual(showBody(new TextEncoder().encode("7")), "'7'");
 * deepEqual(showBody(new TextEncoder().encode("7\n8")), "'7\\n8'");
 * deepEqual(showBody(new Uint8Array([0xff])), "<1 bytes: ff>");
 * ```
 */
export function showBody(body: Uint8Array | null, options: { raw?: boolean } = {}): string {
  let text: string;
  try {
    text = bodyText(body);
  } catch {
    return `<${bytePreview(body ?? new Uint8Array())}>`;
  }
  return `'${options.raw ? text : printable(text)}'`;
}

/**
 * Controls that make a terminal do something instead of showing a character: C0 (newline, ESC,
 * BEL, ...), DEL, C1, the bidirectional overrides and isolates that reorder what follows, and
 * the line and paragraph separators.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS_ALL = new RegExp(CONTROLS.source, "g");
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text from a message (a body, a routing key, a header, a broker's reply text) made safe to
 * print: every control character becomes a visible escape (`\n`, `\x1b`, `\u202e`), so the
 * text stays on its one line and cannot move the cursor, set the title or reorder the line.
 * Anything else, backslashes included, is left as it is.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { printable } from "./text.ts";
 *
 * deepEqual(printable("fake\x1b]0;pwned\x07"), "fake\\x1b]0;pwned\\x07");
 * deepEqual(printable("abc\u202edef"), "abc\\u202edef");
 * deepEqual(printable("héllo"), "héllo");
 * ```
 */
export function printable(text: string): string {
  if (!CONTROLS.test(text)) return text;
  return text.replace(CONTROLS_ALL, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ??
      (code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`);
  });
}
