import { deepEqual, match, ok } from "node:assert/strict";
import { depth, drain, numbers, received, runUntil, withQueue } from "./_helpers.ts";

const STYLES = ["callback", "get", "iterator"];

/** Starts consumer.ts on `queue` and resolves once it has printed `after` messages. */
const consumeUntil = (after: number, queue: string, ...flags: string[]) =>
  runUntil(
    "consumer.ts",
    ["--queue", queue, ...flags],
    (lines) => received(lines.join("\n")).length >= after,
  );

Deno.test("consumer.ts on SIGINT mid-drain: exit 0, processed + left = 100, none lost", async (t) => {
  for (const style of STYLES) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      await t.step(`--style ${style}, ${signal}`, () =>
        withQueue("sigint", 100, async (queue) => {
          const flags = ["--style", style, "--prefetch", "10", "--work", "0.02"];
          const { child, finished } = await consumeUntil(20, queue, ...flags);
          child.kill(signal);
          const { code, stdout, stderr } = await finished;
          deepEqual([code, stderr], [0, ""]);
          const processed = received(stdout);
          ok(processed.length >= 20 && processed.length < 100, `${processed.length}`);
          deepEqual(processed, numbers(processed.length));
          match(stdout, new RegExp(`Done: ${processed.length} messages`));
          // Every message printed was acked, everything else is back in the queue in order.
          deepEqual(await depth(queue), 100 - processed.length);
          const left = await drain(queue);
          deepEqual(left.map((m) => m.body), numbers(100).slice(processed.length));
        }));
    }
  }
});

Deno.test("consumer.ts killed with SIGKILL: its unacked messages come back redelivered", () =>
  withQueue("sigkill", 100, async (queue) => {
    const flags = ["--prefetch", "10", "--work", "0.05"];
    const { child, finished } = await consumeUntil(5, queue, ...flags);
    child.kill("SIGKILL");
    const { code, stdout } = await finished;
    deepEqual(code, 137);
    const printed = received(stdout).length;
    const left = await drain(queue);
    // Acked are the printed ones, maybe less the last (killed between print and ack).
    const acked = 100 - left.length;
    ok(acked === printed || acked === printed - 1, `printed ${printed}, acked ${acked}`);
    deepEqual(left.map((m) => m.body), numbers(100).slice(acked));
    // Those the consumer held (prefetch 10) were delivered before: redelivered now.
    const redelivered = left.filter((m) => m.redelivered).map((m) => m.body);
    ok(redelivered.length >= 1 && redelivered.length <= 10, `${redelivered.length}`);
    deepEqual(redelivered, numbers(100).slice(acked, acked + redelivered.length));
  }));

Deno.test("consumer.ts: a second SIGINT exits at once (130); the held message comes back", () =>
  withQueue("sigint-twice", 3, async (queue) => {
    const { child, finished } = await consumeUntil(1, queue, "--work", "30");
    const started = performance.now();
    child.kill("SIGINT"); // would wait for the 30 s of work on '0'
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGINT");
    const { code } = await finished;
    deepEqual(code, 130);
    ok(performance.now() - started < 5000, "did not wait for the work");
    const left = await drain(queue);
    deepEqual(left.map((m) => m.body), numbers(3));
    deepEqual(left[0]?.redelivered, true);
  }));
