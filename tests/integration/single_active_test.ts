// Single active consumer (patterns/single_active_consumer/), proven against the real broker: of
// two workers on one queue only one receives; SIGKILLed mid-stream, the other takes over from the
// killed one's first unacked message, in order, and only that worker's unacked window comes
// again. Counts come from a passive queue.declare, which a quorum queue answers from itself.

import { deepEqual, match, ok } from "node:assert/strict";
import { declareQueue } from "../../lib/mod.ts";
import { depth, rabbitmqctl, type Ran, run, runUntil, withChannel } from "../_helpers.ts";
import { until, withQueueName } from "../_helpers.ts";

const WORKER = "patterns/single_active_consumer/ordered_worker.ts";
const SENDER = "patterns/single_active_consumer/send_ordered.ts";
const COUNT = 2000;
const PREFETCH = 50;

/** What a worker printed so far: each ` [x] Received 'N'` as its number and redelivered flag. */
type Seen = { n: number; redelivered: boolean }[];

/** Starts a worker as the README runs it; its Received lines land in `seen` as they come. */
async function startWorker(queue: string, seen: Seen) {
  return await runUntil(
    WORKER,
    ["--queue", queue, "--prefetch", String(PREFETCH), "--work", "0.001"],
    (lines) => lines.some((line) => line.includes("Waiting for messages")),
    {
      onLine: (line) => {
        const m = line.match(/^ \[x\] Received '(\d+)'( \(redelivered\))?$/);
        if (m) seen.push({ n: Number(m[1]), redelivered: m[2] !== undefined });
      },
    },
  );
}

const consumers = (queue: string) =>
  withChannel(async (channel) =>
    (await channel.queueDeclare(queue, { passive: true })).consumerCount
  );

/** The `active` column of the queue's consumers in `rabbitmqctl list_consumers`, true first. */
async function activity(queue: string): Promise<string[]> {
  const { stdout } = await rabbitmqctl("-q", "list_consumers", "queue_name", "active");
  return stdout.split("\n").map((line) => line.split("\t"))
    .filter(([name]) => name === queue).map(([, active]) => active!).toSorted().toReversed();
}

const increasing = (numbers: number[]) => numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);

Deno.test("single active consumer: one of two workers receives; SIGKILLed, the other resumes in order", () =>
  withQueueName("sac", async (queue) => {
    const seen: [Seen, Seen] = [[], []];
    const workers = [await startWorker(queue, seen[0]), await startWorker(queue, seen[1])];
    try {
      // Both subscribed, one active and one waiting, as the broker lists them; a passive declare
      // of a single-active-consumer queue counts the active one only (RabbitMQ 3.10).
      await until(async () => (await activity(queue)).join() === "true,false", "both subscribed");
      deepEqual(await consumers(queue), 1);
      const sent = await run(SENDER, ["--queue", queue, "--count", String(COUNT)]);
      deepEqual([sent.code, sent.stderr], [0, ""]);
      deepEqual(sent.stdout.split("\n").filter(Boolean).length, COUNT);

      // Mid-stream: the active one has printed some, and the other none at all.
      await until(() => seen[0].length + seen[1].length >= 300, "300 messages were printed");
      const [active, standby] = seen[0].length > 0 ? [0, 1] as const : [1, 0] as const;
      deepEqual(seen[standby].length, 0, "the standby worker received nothing");
      ok(seen[active].length < COUNT, "killed mid-stream, not after the last message");
      workers[active]!.child.kill("SIGKILL");
      await workers[active]!.finished;
      const killed = seen[active].map(({ n }) => n);
      await until(async () => (await activity(queue)).join() === "true", "the survivor is active");

      // The other takes over and reaches the last message.
      await until(() => seen[standby].at(-1)?.n === COUNT - 1, `'${COUNT - 1}' was printed`);
      workers[standby]!.child.kill("SIGINT");
      const last: Ran = await workers[standby]!.finished;
      deepEqual([last.code, last.stderr], [0, ""], "the survivor exits 0 on SIGINT");
      const survivor = seen[standby].map(({ n }) => n);

      // Each printed in increasing order; together, every message.
      ok(increasing(killed), "the killed worker's order");
      ok(increasing(survivor), "the survivor's order");
      deepEqual(
        [...new Set([...killed, ...survivor])].toSorted((a, b) => a - b),
        Array.from({ length: COUNT }, (_, i) => i),
      );
      // The takeover starts at or before the first message the killed one had not printed (so
      // at or before its first unacked one), and nothing before it comes again.
      const from = survivor[0]!;
      ok(from <= killed.at(-1)! + 1, `took over at ${from}, after ${killed.at(-1)}`);
      deepEqual(killed.filter((n) => n < from), Array.from({ length: from }, (_, i) => i));
      // Redelivered: only the killed worker's unacked window, the survivor's first lines.
      const redelivered = seen[standby].filter((s) => s.redelivered).map(({ n }) => n);
      ok(redelivered.length <= PREFETCH, `${redelivered.length} redelivered, prefetch ${PREFETCH}`);
      deepEqual(redelivered, survivor.slice(0, redelivered.length));
      const twice = survivor.filter((n) => killed.includes(n));
      ok(twice.every((n) => redelivered.includes(n)), `printed twice: ${twice}`);
      ok(seen[active].every((s) => !s.redelivered), "the killed worker had first deliveries only");
      deepEqual(await depth(queue), 0);
      deepEqual(await consumers(queue), 0);
    } finally {
      for (const { child } of workers) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      await Promise.all(workers.map((worker) => worker.finished));
    }
  }));

Deno.test("single active consumer: a queue that exists without the argument is refused, one line, exit 1", () =>
  withQueueName("sac-plain", async (queue) => {
    await withChannel((channel) => declareQueue(channel, queue)); // quorum, no x-single-active-consumer
    for (const script of [WORKER, SENDER]) {
      const { code, stdout, stderr } = await run(script, ["--queue", queue]);
      deepEqual(code, 1, script);
      ok(!stdout.includes("[x]"), script);
      match(
        stderr,
        new RegExp(
          `^Queue '${queue.replaceAll(".", "\\.")}' already exists without ` +
            "x-single-active-consumer, .*use another --queue\\n$",
        ),
      );
    }
    deepEqual(await depth(queue), 0, "nothing was sent to it");
  }));

Deno.test("single active consumer: bad flags are usage errors (exit 2, one line, nothing on stdout)", async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      WORKER,
      ["--prefetch", "0"],
      /^Cannot parse --prefetch "0": expected a whole number, 1 or more/,
    ],
    [WORKER, ["--work", "soon"], /^Cannot parse --work "soon"/],
    [SENDER, ["--count", "many"], /^Cannot parse --count "many"/],
    [SENDER, ["--queue", "amq.mine"], /^Cannot use --queue "amq\.mine"/],
    [WORKER, ["extra"], /^Unexpected argument "extra"/],
  ];
  for (const [script, args, error] of cases) {
    await t.step(`${script.split("/").at(-1)} ${args.join(" ")}`, async () => {
      const { code, stdout, stderr } = await run(script, args);
      deepEqual([code, stdout], [2, ""]);
      match(stderr, error);
      match(stderr, /\(see --help\)\n$/);
      deepEqual(stderr.split("\n").length, 2, "one line");
    });
  }
});
