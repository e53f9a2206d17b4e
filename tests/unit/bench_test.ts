// The bench checks itself: a client case above its ceiling by more than the runs' spread is a
// broken ceiling, not a result.

import { deepEqual } from "node:assert/strict";
import { aboveCeiling } from "../../bench/bench.ts";

Deno.test("a case above its ceiling by more than the spread of the runs is a broken ceiling", () => {
  // Within 5 %, or within the spread of either side's runs: noise, not a broken ceiling.
  deepEqual(aboveCeiling([104], [100]), false);
  deepEqual(aboveCeiling([100, 112, 124], [100, 101, 102]), false);
  deepEqual(aboveCeiling([110, 111, 112], [80, 100, 120]), false);
  // Clearly above: the ceiling measured less work than the case, or measured it slower.
  deepEqual(aboveCeiling([110], [100]), true);
  deepEqual(aboveCeiling([160, 161, 162], [115, 116, 117]), true);
  // Below its ceiling: a result.
  deepEqual(aboveCeiling([50, 60, 70], [100, 100, 100]), false);
});
