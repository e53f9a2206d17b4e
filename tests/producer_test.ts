import { deepEqual } from "node:assert/strict";
import { declareQueue } from "../lib/mod.ts";
import { deleteQueue, depth, numbers, run, uniqueQueue, withChannel } from "./_helpers.ts";

Deno.test("producer.ts puts exactly 100 persistent messages, in order, in a durable queue", async () => {
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
      // Declaring it again as durable (with its dead-letter queue) succeeds only if it is so.
      await declareQueue(channel, queue);
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
