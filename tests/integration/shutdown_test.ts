// Stopping: Ctrl+C and SIGTERM, as a script receives them from a terminal (the whole process
// group, twice through `deno task`), a second press, and SIGKILL.

import { deepEqual, match, ok } from "node:assert/strict";
import { openTerminal } from "../_terminal.ts";
import { forBrokerAt } from "../_commands.ts";
import {
  BROKER_ADDRESS,
  depth,
  drain,
  numbers,
  received,
  runCommandUntil,
  runUntil,
  signalGroup,
  withQueue,
} from "../_helpers.ts";
import { deleteQueue, uniqueQueue } from "../_helpers.ts";

const STYLES = ["callback", "get", "iterator"];

/** Starts consumer.ts on `queue` and resolves once it has printed `after` messages. */
const consumeUntil = (after: number, queue: string, ...flags: string[]) =>
  runUntil(
    "consumer.ts",
    ["--queue", queue, ...flags],
    (lines) => received(lines.join("\n")).length >= after,
  );

/**
 * What a clean stop leaves: every printed message acked once (so not in the queue), every
 * other message back in the queue, none twice, none lost. Returns what was left, in order.
 */
async function assertCleanStop(queue: string, stdout: string, total = 100): Promise<string[]> {
  const processed = received(stdout);
  ok(processed.length < total, `all ${total} processed before the stop`);
  deepEqual(processed, numbers(processed.length), "processed in order");
  match(stdout, new RegExp(`Done: ${processed.length} messages`));
  deepEqual(await depth(queue), total - processed.length);
  const left = (await drain(queue)).map((m) => m.body);
  deepEqual([...processed, ...left].toSorted(), numbers(total).toSorted());
  return left;
}

Deno.test("consumer.ts on SIGINT or SIGTERM mid-drain: exit 0, processed + left = 100, none lost", async (t) => {
  for (const style of STYLES) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      await t.step(`--style ${style}, ${signal}`, () =>
        withQueue("sigint", 100, async (queue) => {
          const flags = ["--style", style, "--prefetch", "10", "--work", "0.02"];
          const { child, finished } = await consumeUntil(20, queue, ...flags);
          child.kill(signal);
          const { code, stdout, stderr } = await finished;
          deepEqual([code, stderr], [0, ""]);
          await assertCleanStop(queue, stdout);
        }));
    }
  }
});

Deno.test("consumer.ts stopped on a classic queue: what is left keeps its order", async (t) => {
  // A quorum queue (the default) puts requeued messages at its back; a classic one at their
  // old place, so there the rest reads 20, 21, ... again.
  for (const style of STYLES) {
    await t.step(`--style ${style}`, () =>
      withQueue(
        "sigint-classic",
        100,
        async (queue) => {
          const flags = ["--style", style, "--prefetch", "10", "--work", "0.02"];
          const { child, finished } = await consumeUntil(
            20,
            queue,
            ...flags,
            "--queue-type",
            "classic",
          );
          child.kill("SIGINT");
          const { code, stdout, stderr } = await finished;
          deepEqual([code, stderr], [0, ""]);
          const left = await assertCleanStop(queue, stdout);
          deepEqual(left, numbers(100).slice(100 - left.length));
        },
        undefined,
        { type: "classic" },
      ));
  }
});

Deno.test("one Ctrl+C in a terminal on `deno task consume`: the Done line, exit 0, nothing unacked", async () => {
  // The README's own command, in a real terminal: the key press reaches deno task and the
  // script, and deno task forwards it again, so the script gets SIGINT twice.
  await withQueue("terminal", 300, async (queue) => {
    await using terminal = await openTerminal(
      forBrokerAt(`deno task consume --queue ${queue} --prefetch 10 --work 0.01`, BROKER_ADDRESS),
    );
    await terminal.waitFor(/Received '30'/);
    await terminal.press("C-c");
    const code = await terminal.exitCode();
    deepEqual(code, 0, `exit ${code}\n${await terminal.screen()}`);
    // The terminal echoes the key press as "^C" in front of whatever is printed next.
    const screen = (await terminal.screen()).replaceAll("^C", "");
    match(screen, /Done: \d+ messages/);
    await assertCleanStop(queue, screen, 300);
  });
});

Deno.test("Ctrl+C to the process group of `deno task consume`: one request to stop, exit 0", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, () =>
      withQueue("group", 100, async (queue) => {
        const command = `deno task consume --queue ${queue} --style ${style} --work 0.02`;
        const { child, finished } = await runCommandUntil(
          ["bash", "-c", `exec ${forBrokerAt(command, BROKER_ADDRESS)}`],
          (lines) => received(lines.join("\n")).length >= 10,
          { ownGroup: true },
        );
        signalGroup(child, "SIGINT");
        const { code, stdout } = await finished;
        deepEqual(code, 0, stdout);
        await assertCleanStop(queue, stdout);
      }));
  }
});

Deno.test("consumer.ts: two SIGINTs a few milliseconds apart are one request to stop", () =>
  withQueue("sigint-burst", 100, async (queue) => {
    const { child, finished } = await consumeUntil(10, queue, "--work", "0.2");
    child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill("SIGINT");
    const { code, stdout } = await finished;
    deepEqual(code, 0);
    await assertCleanStop(queue, stdout);
  }));

Deno.test("consumer.ts: a second SIGINT, a second later, exits at once (130); the held message comes back", () =>
  withQueue("sigint-twice", 3, async (queue) => {
    const { child, finished } = await consumeUntil(1, queue, "--work", "30");
    const started = performance.now();
    child.kill("SIGINT"); // would wait for the 30 s of work on '0'
    await new Promise((resolve) => setTimeout(resolve, 1000));
    child.kill("SIGINT");
    const { code } = await finished;
    deepEqual(code, 130);
    ok(performance.now() - started < 5000, "did not wait for the work");
    const left = await drain(queue);
    deepEqual(left.map((m) => m.body).toSorted(), numbers(3));
    deepEqual(left.find((m) => m.body === "0")?.redelivered, true);
  }));

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
    deepEqual(left.map((m) => m.body).toSorted(), numbers(100).slice(acked).toSorted());
    // Those the consumer held (prefetch 10) were delivered before: redelivered now.
    const redelivered = left.filter((m) => m.redelivered).map((m) => m.body);
    ok(redelivered.length >= 1 && redelivered.length <= 10, `${redelivered.length}`);
    deepEqual(
      redelivered.toSorted(),
      numbers(100).slice(acked, acked + redelivered.length).toSorted(),
    );
  }));

Deno.test("on a terminal, a long run shows a progress line instead of a line per message", async (t) => {
  await t.step("producer.ts --count 20000", async () => {
    const queue = uniqueQueue("tty-producer");
    try {
      await using terminal = await openTerminal(
        `deno run --allow-net=127.0.0.1 --allow-env="AMQP_*" producer.ts --queue ${queue} --count 20000`,
      );
      deepEqual(await terminal.exitCode(30_000), 0);
      const screen = await terminal.screen();
      match(screen, / \[\*\] 20,000 of 20,000 sent and confirmed, [\d,]+ msg\/s in [\d.]+ s/);
      match(screen, /^ \[x\] Sent 20000 messages$/m);
      ok(!screen.includes("Sent '0'"), "no line per message");
      deepEqual(await depth(queue), 20_000);
    } finally {
      await deleteQueue(queue);
    }
  });
  await t.step(
    "consumer.ts draining 5000: the first 1000 as lines, then the count",
    () =>
      withQueue("tty-consumer", 5000, async (queue) => {
        await using terminal = await openTerminal(
          `deno run --allow-net=127.0.0.1 --allow-env="AMQP_*" consumer.ts --queue ${queue} --prefetch 100 --idle 1`,
        );
        deepEqual(await terminal.exitCode(30_000), 0);
        const screen = await terminal.screen();
        deepEqual(received(screen), numbers(1000));
        match(screen, / \[\*\] 5,000 received, [\d,]+ msg\/s in [\d.]+ s/);
        match(screen, /Done: 5000 messages/);
        deepEqual(await depth(queue), 0);
      }),
  );
});
