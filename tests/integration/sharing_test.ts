// Queues shared with other clients: the article's Pika scripts (classic, non-durable `hello`)
// and the official tutorials (durable quorum `hello`, `task_queue`, `rpc_queue`), first and
// second, against producer.ts, all three consumer styles, new_task/worker and the RPC server.
// The Pika side is a real Pika client (tests/pika/peer.py, Debian's python3-pika).

import { deepEqual, match, ok } from "node:assert/strict";
import { declareQueue } from "../../lib/mod.ts";
import {
  depth,
  numbers,
  received,
  ROOT,
  run,
  runCommand,
  runCommandUntil,
  runUntil,
  withChannel,
  withQueueName,
} from "../_helpers.ts";

/** The Python that has Pika: Debian's, not a pyenv or venv one that may lack it. */
const PYTHON = "/usr/bin/python3";
const STYLES = ["callback", "get", "iterator"];
type Way = "article" | "official";
const WAYS: Way[] = ["article", "official"];

/** Runs the Pika peer to completion. */
const pika = (way: Way, queue: string, ...args: string[]) =>
  runCommand([PYTHON, `${ROOT}tests/pika/peer.py`, way, queue, ...args]);

/** The note our scripts print when they adopt the article's queue. */
const ARTICLE_NOTE = /already exists as a classic, non-durable queue; using it as it is: its/;

/** The flags that make our scripts create the article's queue, as the README documents. */
const ARTICLE_FLAGS = ["--queue-type", "classic", "--transient"];

Deno.test("declareQueue() adopts a queue another client made, says how it differs, keeps the channel", async (t) => {
  const cases: [
    string,
    Record<string, unknown>,
    boolean,
    RegExp | undefined,
    string | undefined,
  ][] = [
    ["the article's (classic, transient)", {}, false, /classic, non-durable queue/, "classic"],
    ["the official tutorials' (quorum)", { "x-queue-type": "quorum" }, true, undefined, "quorum"],
    ["a classic durable one", {}, true, /classic queue; .*not replicated/, "classic"],
    ["a stream", { "x-queue-type": "stream" }, true, /as a stream; .*prefetch/, "stream"],
    [
      "one with arguments of its own",
      { "x-max-length": 10 },
      true,
      /own \(x-max-length\)/,
      "classic",
    ],
    [
      "a stream with a size limit",
      { "x-queue-type": "stream", "x-max-length-bytes": 2e10 },
      true,
      /as a stream with settings of its own \(x-max-length-bytes\)/,
      "stream",
    ],
  ];
  for (const [label, args, durable, note, type] of cases) {
    await t.step(label, () =>
      withQueueName("adopt", async (queue) => {
        await withChannel((channel) =>
          channel.queueDeclare(queue, { durable, exclusive: false, autoDelete: false }, args)
        );
        await withChannel(async (channel) => {
          const declared = await declareQueue(channel, queue);
          deepEqual([declared.type, declared.durable], [type, durable]);
          if (note) match(declared.note ?? "", note);
          else deepEqual(declared.note, undefined);
          // The caller's channel is still open, and nothing else was declared.
          ok(!channel.closed);
          await channel.queueDeclare(queue, { passive: true });
          const parking = await channel.connection.channel();
          await parking.queueDeclare(`${queue}.dead`, { passive: true }).then(
            () => ok(false, "a parking queue was declared"),
            (error: Error) => match(error.message, /NOT_FOUND/),
          );
        });
      }));
  }
  await t.step(
    "none there: created durable and quorum, as the official tutorials make it",
    () =>
      withQueueName("create", async (queue) => {
        await withChannel(async (channel) => {
          const declared = await declareQueue(channel, queue);
          deepEqual([declared.type, declared.durable, declared.note], ["quorum", true, undefined]);
          // The official tutorials' own declaration is accepted as equivalent.
          await channel.queueDeclare(queue, { durable: true }, { "x-queue-type": "quorum" });
        });
      }),
  );
});

for (const way of WAYS) {
  Deno.test(`Pika declares 'hello' the ${way} way first: producer.ts and every consumer style use it`, async (t) => {
    for (const style of STYLES) {
      await t.step(
        `Pika produces 100, consumer.ts --style ${style} drains them`,
        () =>
          withQueueName(`${way}-first`, async (queue) => {
            const produced = await pika(way, queue, "produce", "100");
            deepEqual(produced.code, 0, produced.stdout + produced.stderr);
            const { code, stdout, stderr } = await run("consumer.ts", [
              "--queue",
              queue,
              "--style",
              style,
              // Quiet for 1 s once connected: on a loaded 2-core machine a delivery at prefetch 1
              // can take a few hundred milliseconds.
              "--idle",
              "1",
            ]);
            deepEqual(code, 0, stderr);
            deepEqual(received(stdout), numbers(100));
            if (way === "article") match(stderr, ARTICLE_NOTE);
            else deepEqual(stderr, "");
            deepEqual(await depth(queue), 0);
          }),
      );
    }
    await t.step(
      "Pika declares, producer.ts sends 100, Pika consumes them",
      () =>
        withQueueName(`${way}-first-producer`, async (queue) => {
          deepEqual((await pika(way, queue, "produce", "0")).code, 0);
          const produced = await run("producer.ts", ["--queue", queue]);
          deepEqual(produced.code, 0, produced.stderr);
          if (way === "article") match(produced.stderr, ARTICLE_NOTE);
          const consumed = await pika(way, queue, "consume", "100", "get");
          deepEqual(consumed.code, 0, consumed.stderr);
          deepEqual(received(consumed.stdout), numbers(100));
        }),
    );
  });

  Deno.test(`our scripts declare 'hello' first (${way} flags): Pika's ${way} declaration accepts it`, async (t) => {
    const flags = way === "article" ? ARTICLE_FLAGS : [];
    await t.step(
      "producer.ts sends 100, Pika consumes them",
      () =>
        withQueueName(`${way}-second`, async (queue) => {
          const produced = await run("producer.ts", ["--queue", queue, ...flags]);
          deepEqual([produced.code, produced.stderr], [0, ""]);
          const consumed = await pika(way, queue, "consume", "100", "callback");
          deepEqual(consumed.code, 0, consumed.stdout + consumed.stderr);
          deepEqual(received(consumed.stdout), numbers(100));
        }),
    );
    for (const style of STYLES) {
      await t.step(
        `consumer.ts --style ${style} waits, Pika declares and sends 100`,
        () =>
          withQueueName(`${way}-second-consumer`, async (queue) => {
            const { finished } = await runUntil(
              "consumer.ts",
              // --idle: should a message not come, a failure in 10 s, not a run that hangs.
              ["--queue", queue, "--style", style, "--max", "100", "--idle", "10", ...flags],
              (lines) => lines.some((line) => line.includes("Waiting for messages")),
            );
            const produced = await pika(way, queue, "produce", "100");
            deepEqual(produced.code, 0, produced.stdout + produced.stderr);
            const { code, stdout, stderr } = await finished;
            deepEqual([code, stderr], [0, ""]);
            deepEqual(received(stdout), numbers(100));
          }),
      );
    }
  });
}

Deno.test("without the article's flags, Pika's article declaration is refused (406), as the README warns", () =>
  withQueueName("article-refused", async (queue) => {
    deepEqual((await run("producer.ts", ["--queue", queue, "--count", "1"])).code, 0);
    const refused = await pika("article", queue, "produce", "1");
    deepEqual(refused.code, 3);
    match(refused.stdout, /406 PRECONDITION_FAILED - inequivalent arg 'durable'/);
  }));

Deno.test("task_queue: new_task.ts and worker.ts share it with the official tutorials' Pika scripts", async (t) => {
  await t.step(
    "new_task.ts first, a Pika worker takes the task",
    () =>
      withQueueName("task-ours-first", async (queue) => {
        const sent = await run("patterns/work_queues/new_task.ts", ["--queue", queue, "7..."]);
        deepEqual([sent.code, sent.stderr], [0, ""]);
        const taken = await pika("official", queue, "consume", "1", "callback");
        deepEqual(received(taken.stdout), ["7..."]);
      }),
  );
  await t.step(
    "Pika first, worker.ts takes the tasks",
    () =>
      withQueueName("task-pika-first", async (queue) => {
        deepEqual((await pika("official", queue, "produce", "3")).code, 0);
        const { child, finished } = await runUntil(
          "patterns/work_queues/worker.ts",
          ["--queue", queue],
          (lines) => lines.filter((line) => line === " [x] Done").length === 3,
        );
        child.kill("SIGINT");
        const { code, stdout, stderr } = await finished;
        deepEqual([code, stderr], [0, ""]);
        deepEqual(received(stdout), numbers(3));
        deepEqual(await depth(queue), 0);
      }),
  );
});

Deno.test("rpc_queue: rpc_server.ts and a Pika RPC server share it; every answer is right", () =>
  withQueueName("rpc-shared", async (queue) => {
    const pikaServer = await runCommandUntil(
      [PYTHON, `${ROOT}tests/pika/peer.py`, "official", queue, "rpc", "1000"],
      (lines) => lines.includes(" [*] Declared"),
    );
    const ours = await runUntil(
      "patterns/rpc/rpc_server.ts",
      ["--queue", queue],
      (lines) => lines.some((line) => line.includes("Awaiting RPC requests")),
    );
    try {
      const ns = Array.from({ length: 12 }, (_, i) => `${i + 20}`);
      const client = await run("patterns/rpc/rpc_client.ts", ["--queue", queue, ...ns]);
      deepEqual(client.code, 0, client.stderr);
      const fib = (n: number) => {
        let [a, b] = [0n, 1n];
        for (let i = 0; i < n; i++) [a, b] = [b, a + b];
        return a;
      };
      for (const n of ns) {
        match(client.stdout, new RegExp(`fib\\(${n}\\) = ${fib(Number(n))}$`, "m"));
      }
    } finally {
      ours.child.kill("SIGINT");
      pikaServer.child.kill("SIGTERM");
    }
    const [oursRan, pikaRan] = await Promise.all([ours.finished, pikaServer.finished]);
    deepEqual([oursRan.code, oursRan.stderr], [0, ""]);
    const servedByUs = oursRan.stdout.match(/^ \[\.\] fib/gm)?.length ?? 0;
    const servedByPika = pikaRan.stdout.match(/^ \[\.\] fib/gm)?.length ?? 0;
    deepEqual(servedByUs + servedByPika, 12);
    ok(servedByUs > 0 && servedByPika > 0, `ours ${servedByUs}, Pika's ${servedByPika}`);
  }));
