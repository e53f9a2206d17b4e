// What is printed from a message or a broker: every control that could forge a line, drive the
// terminal or reorder what follows becomes a visible escape, and the rest is left as it is.

import { deepEqual } from "node:assert/strict";
import { failure, printable, showBody } from "../../lib/mod.ts";

Deno.test("printable() escapes DEL, the C1 range and the bidi controls; leaves the rest", async (t) => {
  await t.step("DEL (0x7f)", () => deepEqual(printable("a\x7fb"), "a\\x7fb"));
  await t.step("C1, both ends and CSI (0x80, 0x9b, 0x9f)", () => {
    deepEqual(printable("\x80[31m\x9b2J\x9f"), "\\x80[31m\\x9b2J\\x9f");
    const c1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
    deepEqual(printable(c1).match(/\\x[89][0-9a-f]/g)?.length, 0x20);
  });
  await t.step("just outside: 0xa0 (no-break space) and é are text", () => {
    deepEqual(printable("\xa0é~"), "\xa0é~");
  });
  await t.step("bidi overrides and isolates, line and paragraph separators", () => {
    deepEqual(
      printable("\u202eevil\u202c \u2066x\u2069 \u200f\u061c \u2028\u2029"),
      "\\u202eevil\\u202c \\u2066x\\u2069 \\u200f\\u061c \\u2028\\u2029",
    );
  });
  await t.step("C0 by name or code; backslashes as they are", () => {
    deepEqual(printable("1\n2\r3\t4\x00\x1b\\n"), "1\\n2\\r3\\t4\\x00\\x1b\\n");
  });
});

Deno.test("showBody() and failure() print a hostile body or reply text on one visible line", () => {
  const hostile = "7'\n [x] Received 'fake\x1b]0;pwned\x07\x7f\x9b\u202e";
  const escaped = "7'\\n [x] Received 'fake\\x1b]0;pwned\\x07\\x7f\\x9b\\u202e";
  deepEqual(showBody(new TextEncoder().encode(hostile)), `'${escaped}'`);
  deepEqual(showBody(new TextEncoder().encode(hostile), { raw: true }), `'${hostile}'`);
  // A reply text: the first line only (a message's own lines are a stack trace), escaped.
  deepEqual(
    failure(new Error(`NOT_FOUND - no queue 'q\x1b[2J\x9b\u202e'`)).line,
    "Error: NOT_FOUND - no queue 'q\\x1b[2J\\x9b\\u202e'",
  );
});
