import { deepEqual, match, ok } from "node:assert/strict";
import { deleteQueue, depth, fill, numbers, received, run, uniqueQueue } from "./_helpers.ts";

const STYLES = ["callback", "get", "iterator"];

Deno.test("consumer.ts drains 100 messages in order and acks each, in every style", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, async () => {
      const queue = uniqueQueue(`drain-${style}`);
      try {
        await fill(queue, 100);
        const { code, stdout, stderr } = await run("consumer.ts", [
          "--style",
          style,
          "--queue",
          queue,
          "--idle",
          "0.5",
        ]);
        deepEqual(stderr, "");
        deepEqual(code, 0);
        deepEqual(received(stdout), numbers(100));
        match(stdout, /Done: 100 messages/);
        // The consumer has disconnected, so anything unacked would be back in the queue.
        deepEqual(await depth(queue), 0);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("consumer.ts --requeue-once sees every message twice, the second time redelivered", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, async () => {
      const queue = uniqueQueue(`requeue-${style}`);
      try {
        await fill(queue, 100);
        const { code, stdout } = await run("consumer.ts", [
          "--style",
          style,
          "--queue",
          queue,
          "--requeue-once",
          "--idle",
          "0.5",
        ]);
        deepEqual(code, 0);
        const requeued = [...stdout.matchAll(/^ \[x\] Requeued '(\d+)'$/gm)].map((m) => m[1]);
        const redelivered = [...stdout.matchAll(/^ \[x\] Received '(\d+)' \(redelivered\)$/gm)]
          .map((m) => m[1]);
        deepEqual(requeued.toSorted(), numbers(100).toSorted());
        deepEqual(redelivered.toSorted(), numbers(100).toSorted());
        // No first delivery was acked: every "Received" is a redelivery.
        deepEqual(received(stdout).length, 100);
        deepEqual(await depth(queue), 0);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("consumer.ts --auto-ack drains without acks, in every style", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, async () => {
      const queue = uniqueQueue(`autoack-${style}`);
      try {
        await fill(queue, 100);
        const { code, stdout } = await run("consumer.ts", [
          "--style",
          style,
          "--queue",
          queue,
          "--auto-ack",
          "--idle",
          "0.5",
        ]);
        deepEqual(code, 0);
        deepEqual(received(stdout), numbers(100));
        deepEqual(await depth(queue), 0);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("consumer.ts --max N stops after N and returns its prefetched messages", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, async () => {
      const queue = uniqueQueue(`max-${style}`);
      try {
        await fill(queue, 100);
        const { code, stdout } = await run("consumer.ts", [
          "--style",
          style,
          "--queue",
          queue,
          "--max",
          "10",
          "--prefetch",
          "20",
        ]);
        deepEqual(code, 0);
        deepEqual(received(stdout), numbers(10));
        // Up to 20 were in flight; the 10 not processed went back.
        deepEqual(await depth(queue), 90);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("consumer.ts --idle stops an idle consumer, and the iterator yields null meanwhile", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style} on an empty queue`, async () => {
      const queue = uniqueQueue(`idle-${style}`);
      try {
        await fill(queue, 0);
        const { code, stdout, ms } = await run("consumer.ts", [
          "--style",
          style,
          "--queue",
          queue,
          "--idle",
          "1",
          "--inactivity",
          "0.3",
        ]);
        deepEqual(code, 0);
        match(stdout, /No message for 1 s, stopping/);
        ok(ms >= 1000, `stopped after ${ms} ms, before --idle`);
        const nulls = stdout.match(/^ \[\.\] No message for 0\.3 s, still waiting$/gm) ?? [];
        if (style === "iterator") deepEqual(nulls.length >= 2, true, stdout);
        else deepEqual(nulls.length, 0);
      } finally {
        await deleteQueue(queue);
      }
    });
  }
});

Deno.test("consumer.ts --help prints usage on stdout and exits 0", async () => {
  const { code, stdout, stderr } = await run("consumer.ts", ["--help"]);
  deepEqual(code, 0);
  deepEqual(stderr, "");
  match(stdout, /^Usage: consumer\.ts/);
});
