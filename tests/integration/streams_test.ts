// Streams on one broker: the stream scripts (patterns/streams/), every kind of offset, and the
// rules consumer.ts keeps on a stream before the broker would close anything.

import { deepEqual, match, ok } from "node:assert/strict";
import { declareQueue, publishWithConfirms } from "../../lib/mod.ts";
import { BROKER_URL, numbers, received, run, runUntil, tcpProxy } from "../_helpers.ts";
import { withChannel, withQueueName } from "../_helpers.ts";

/** Runs receive_stream.ts and returns [body, offset] per message read. */
async function readStreamQueue(stream: string, ...flags: string[]): Promise<string[][]> {
  const result = await run("patterns/streams/receive_stream.ts", ["--stream", stream, ...flags]);
  deepEqual(result.code, 0, result.stderr);
  return [...result.stdout.matchAll(/^ \[x\] '([^']*)' at offset (\d+)$/gm)].map((
    m,
  ) => [m[1]!, m[2]!]);
}

Deno.test("send_stream.ts and receive_stream.ts: the log is read again from any offset", () =>
  withQueueName("stream", async (stream) => {
    for (const text of ["zero", "one", "two"]) {
      const sent = await run("patterns/streams/send_stream.ts", ["--stream", stream, text]);
      deepEqual([sent.code, sent.stdout, sent.stderr], [0, ` [x] Sent '${text}'\n`, ""]);
    }
    const all = [["zero", "0"], ["one", "1"], ["two", "2"]];
    deepEqual(await readStreamQueue(stream, "--offset", "first", "--max", "3"), all);
    deepEqual(await readStreamQueue(stream, "--max", "3"), all, "reading took nothing away");
    deepEqual(await readStreamQueue(stream, "--offset", "1", "--max", "2"), all.slice(1));
    deepEqual(await readStreamQueue(stream, "--offset", "last", "--max", "1"), all.slice(2));
    deepEqual(await readStreamQueue(stream, "--offset", "1h", "--max", "3"), all);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    deepEqual(await readStreamQueue(stream, "--offset", hourAgo, "--max", "3"), all);
    // "next": only what comes after the reader started.
    const { finished } = await runUntil(
      "patterns/streams/receive_stream.ts",
      ["--stream", stream, "--offset", "next", "--max", "1"],
      (lines) => lines.some((line) => line.includes("Reading")),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await run("patterns/streams/send_stream.ts", ["--stream", stream, "three"]);
    const next = await finished;
    deepEqual(next.code, 0, next.stderr);
    match(next.stdout, /^ \[x\] 'three' at offset 3$/m);
    ok(!next.stdout.includes("'two'"));
  }));

Deno.test("receive_stream.ts --offset that is not one: one line, exit 2, before the broker sees it", async () => {
  const result = await run("patterns/streams/receive_stream.ts", ["--offset", "yesterday"]);
  deepEqual(result.code, 2);
  match(
    result.stderr,
    /^Cannot use --offset "yesterday": expected first, last, next, an offset number/,
  );
});

Deno.test("consumer.ts on a stream: reads it from first with offsets, and keeps a stream's rules", async (t) => {
  await withQueueName("stream-consumer", async (stream) => {
    const made = await run("producer.ts", [
      "--queue",
      stream,
      "--queue-type",
      "stream",
      "--count",
      "20",
    ]);
    deepEqual([made.code, made.stderr], [0, ""]);
    for (const style of ["callback", "iterator"]) {
      await t.step(
        `--style ${style} reads all 20 from first, with their offsets`,
        async () => {
          const result = await run("consumer.ts", [
            "--queue",
            stream,
            "--style",
            style,
            "--prefetch",
            "10",
            "--idle",
            "0.5",
          ]);
          deepEqual(result.code, 0, result.stderr);
          deepEqual(received(result.stdout), numbers(20));
          match(result.stdout, /^ \[x\] Received '19' \(offset 19\)$/m);
          match(result.stderr, /already exists as a stream; using it as it is/);
          // The second style reads the same 20: reading took nothing away.
        },
      );
    }
    const refused: [string[], RegExp][] = [
      [["--style", "get"], /with --style get: a stream has no basic\.get/],
      [["--auto-ack"], /with --auto-ack: a stream is read with manual acks/],
      [["--prefetch", "0"], /with --prefetch 0: a stream needs a prefetch of 1 or more/],
      [["--requeue-once"], /with --requeue-once: a stream keeps every message/],
    ];
    for (const [flags, message] of refused) {
      await t.step(flags.join(" "), async () => {
        const result = await run("consumer.ts", [
          "--queue",
          stream,
          "--queue-type",
          "stream",
          ...flags,
        ]);
        deepEqual(result.code, 2, result.stderr);
        deepEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
        match(result.stderr, new RegExp(`^Cannot read the stream '${stream}' ${message.source}`));
      });
    }
  });
  await t.step(
    "--offset on a queue that is not a stream: one line, exit 2",
    () =>
      withQueueName("not-a-stream", async (queue) => {
        await withChannel((channel) => declareQueue(channel, queue));
        const result = await run("consumer.ts", ["--queue", queue, "--offset", "first"]);
        deepEqual(result.code, 2);
        match(result.stderr, /Cannot use --offset on '.*': it is not a stream/);
      }),
  );
});

Deno.test("consumer.ts on a stream, its connection cut: it goes on after the last offset it read", () =>
  withQueueName("stream-resume", async (stream) => {
    await withChannel(async (channel) => {
      await declareQueue(channel, stream, { type: "stream" });
      await publishWithConfirms(channel, stream, numbers(20));
    });
    using proxy = tcpProxy(Number(new URL(BROKER_URL).port || 5672));
    const { finished } = await runUntil(
      "consumer.ts",
      ["--queue", stream, "--prefetch", "1", "--work", "0.05", "--idle", "1"],
      (lines) => received(lines.join("\n")).length >= 5,
      { env: { AMQP_URL: proxy.url }, allowNet: "127.0.0.1" },
    );
    proxy.cut();
    const { code, stdout, stderr } = await finished;
    deepEqual(code, 0, stderr);
    match(stderr, /Reconnected to/);
    // Every offset once, or the one in hand when the connection went twice: never from 0 again.
    const bodies = received(stdout);
    deepEqual([...new Set(bodies)], numbers(20));
    ok(bodies.length <= 21, `${bodies.length} read`);
  }));
