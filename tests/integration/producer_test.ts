import { deepEqual, match, ok } from "node:assert/strict";
import {
  deleteQueue,
  depth,
  numbers,
  run,
  runUntil,
  uniqueQueue,
  withChannel,
} from "../_helpers.ts";

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

Deno.test("producer.ts's memory does not grow with the count (20,000 and 1,000,000 messages)", async () => {
  const peaks: number[] = [];
  for (const count of [20_000, 1_000_000]) {
    const queue = uniqueQueue("producer-flat");
    try {
      const args = ["--queue", queue, "--queue-type", "classic", "--transient", "--count"];
      const { child, finished } = await runUntil("producer.ts", [...args, `${count}`], () => true);
      // The high-water mark of its resident memory, read until it exits.
      let peakKiB = 0;
      const poll = setInterval(() => {
        try {
          const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
          peakKiB = Math.max(peakKiB, Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0));
        } catch { /* exited */ }
      }, 20);
      const { code, stdout } = await finished.finally(() => clearInterval(poll));
      deepEqual(code, 0);
      // Every line is there, in order, though they are written in batches.
      const lines = stdout.trimEnd().split("\n");
      deepEqual(lines.length, count);
      deepEqual([lines[0], lines.at(-1)], [" [x] Sent '0'", ` [x] Sent '${count - 1}'`]);
      deepEqual(await depth(queue), count);
      peaks.push(peakKiB);
    } finally {
      await deleteQueue(queue);
    }
  }
  // Fifty times the messages, about the same memory: nothing is kept per message (16 bytes each
  // would be 15 MiB more at 1,000,000). What varies from run to run is V8's heap sizing: 4 to 9
  // MiB between the two counts on a 2-core VM (it was 11 MiB more, and growing with the count,
  // while String(i) made the bodies).
  const [small, large] = peaks.map((kib) => Math.round(kib / 1024));
  ok(large! - small! <= 12, `peak ${small} MiB at 20,000 messages, ${large} MiB at 1,000,000`);
});
