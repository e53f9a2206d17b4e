import { deepEqual, match, ok } from "node:assert/strict";
import {
  deleteQueue,
  depth,
  numbers,
  run,
  runUntil,
  uniqueQueue,
  withChannel,
} from "./_helpers.ts";

Deno.test("producer.ts puts exactly 100 persistent messages, in order, in a durable quorum queue", async () => {
  const queue = uniqueQueue("producer");
  try {
    const { code, stdout, stderr } = await run("producer.ts", ["--queue", queue]);
    deepEqual(stderr, "");
    deepEqual(code, 0);
    // "Sent" is printed per confirmed message, in publish order.
    const sent = [...stdout.matchAll(/^ \[x\] Sent '(\d+)'$/gm)].map((match) => match[1]);
    deepEqual(sent, numbers(100));
    // The broker's own count agrees.
    deepEqual(await depth(queue), 100);

    await withChannel(async (channel) => {
      // The official tutorials' declaration succeeds only if the queue is durable and quorum.
      await channel.queueDeclare(queue, { durable: true }, { "x-queue-type": "quorum" });
      const bodies: string[] = [];
      for (let i = 0; i < 100; i++) {
        const message = await channel.basicGet(queue, { noAck: false });
        if (!message) break;
        bodies.push(message.bodyString() ?? "");
        deepEqual(message.properties.deliveryMode, 2, "persistent");
        deepEqual(message.exchange, "", "published through the default exchange");
        await message.ack(false);
      }
      deepEqual(bodies, numbers(100));
      deepEqual(await channel.basicGet(queue, { noAck: true }), null);
    });
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("producer.ts --count N sends N, and --count 0 sends none", async (t) => {
  for (const count of [7, 0]) {
    await t.step(`--count ${count}`, async () => {
      const queue = uniqueQueue("producer-count");
      try {
        const { code, stdout } = await run("producer.ts", [
          "--queue",
          queue,
          "--count",
          `${count}`,
        ]);
        deepEqual(code, 0);
        deepEqual(stdout.trim() === "" ? 0 : stdout.trim().split("\n").length, count);
        deepEqual(await depth(queue), count);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("producer.ts on Ctrl+C: takes no new message, confirms those sent, says so, exit 0", async () => {
  const queue = uniqueQueue("producer-sigint");
  try {
    const { child, finished } = await runUntil(
      "producer.ts",
      ["--queue", queue, "--count", "1000000"],
      (lines) => lines.length >= 2000,
    );
    child.kill("SIGINT");
    const { code, stdout, stderr } = await finished;
    deepEqual([code, stderr], [0, ""]);
    const sent = [...stdout.matchAll(/^ \[x\] Sent '(\d+)'$/gm)].map((match) => match[1]);
    ok(sent.length >= 2000 && sent.length < 1_000_000, `${sent.length} sent`);
    deepEqual(sent, numbers(sent.length));
    match(stdout, new RegExp(`Stopped: ${sent.length} of 1000000 messages sent and confirmed`));
    // Every message the broker has was reported, and nothing was reported that it lacks.
    deepEqual(await depth(queue), sent.length);
  } finally {
    await deleteQueue(queue);
  }
});
