// runConsumer(), consumer.ts's loop, driven in-process against the real broker in each style:
// what its work is handed and in what order, requeue-once and the redelivered flag, what is
// acked (the queue's depth afterwards, by passive declare), and a stop that ends it cleanly.

import { deepEqual, ok } from "node:assert/strict";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { type ConsumerOptions, type ConsumeStyle, parseFlags, runConsumer } from "../../lib/mod.ts";
import { consumerConfig, FLAGS } from "../../consumer.ts";
import { BROKER_URL, depth, numbers, settledDepth, withQueue } from "../_helpers.ts";

const STYLES: ConsumeStyle[] = ["callback", "get", "iterator"];

/** What one run of the loop handed out, and what it resolved to. */
interface Seen {
  received: number;
  bodies: string[];
  redelivered: boolean[];
  requeued: string[];
  parked: string[];
  declared: string[];
  quiet: number;
  ms: number;
}

/**
 * Runs the loop on `queue` in `style` with `options`, collecting what its events receive; it
 * stops after `stopAfter` messages' work (or when `options.stop` aborts, or at `max`).
 */
async function consume(
  queue: string,
  style: ConsumeStyle,
  options: Partial<ConsumerOptions> & {
    /** Stop once the work has been handed this many messages. */
    stopAfter?: number;
    /** Throws for a body the work cannot take. */
    refuse?: (body: string) => void;
  } = {},
): Promise<Seen> {
  const { stopAfter, refuse, ...rest } = options;
  const stop = new AbortController();
  const seen: Seen = {
    received: 0,
    bodies: [],
    redelivered: [],
    requeued: [],
    parked: [],
    declared: [],
    quiet: 0,
    ms: 0,
  };
  const started = performance.now();
  seen.received = await runConsumer({
    queue,
    style,
    noAck: false,
    connect: { url: BROKER_URL, name: `consumer_loop_test ${style}` },
    ...rest,
    stop: rest.stop ? AbortSignal.any([rest.stop, stop.signal]) : stop.signal,
    on: {
      declared: (found, url) => seen.declared.push(`${found.name} at ${url}`),
      message: (message: AMQPMessage) => {
        refuse?.(message.bodyString() ?? "");
        seen.bodies.push(message.bodyString() ?? "");
        seen.redelivered.push(message.redelivered);
        if (seen.bodies.length === stopAfter) stop.abort();
      },
      requeued: (message) => seen.requeued.push(message.bodyString() ?? ""),
      parked: (reason, parking) => seen.parked.push(`${reason} -> ${parking}`),
      quiet: () => seen.quiet++,
    },
  });
  seen.ms = performance.now() - started;
  return seen;
}

/** One step per style, each on its own queue of `count` messages "0".."count-1". */
function eachStyle(count: number, check: (style: ConsumeStyle, queue: string) => Promise<void>) {
  return async (t: Deno.TestContext) => {
    for (const style of STYLES) {
      await t.step(style, () => withQueue(`loop-${style}`, count, (q) => check(style, q)));
    }
  };
}

Deno.test(
  "runConsumer() hands every message to its work in order, acks each, in every style",
  eachStyle(50, async (style, queue) => {
    const seen = await consume(queue, style, { stopAfter: 50 });
    deepEqual(seen.bodies, numbers(50));
    deepEqual(seen.received, 50);
    deepEqual(seen.redelivered.filter(Boolean).length, 0);
    deepEqual(seen.requeued, []);
    // Told once, with the URL it is connected to, its password masked.
    const [name, url] = seen.declared.length === 1 ? seen.declared[0]!.split(" at ") : [];
    deepEqual(name, queue);
    ok(/^amqps?:\/\/[^:@]+(:\*+)?@/.test(url ?? ""), url);
    // Disconnected now: anything unacked would be back in the queue.
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "runConsumer() requeueOnce: each first delivery requeued, its work done on the redelivery",
  eachStyle(20, async (style, queue) => {
    const seen = await consume(queue, style, {
      requeueOnce: true,
      stopAfter: 20,
    });
    deepEqual(seen.requeued.toSorted(), numbers(20).toSorted());
    deepEqual(seen.bodies.toSorted(), numbers(20).toSorted());
    deepEqual(seen.redelivered, Array(20).fill(true), "only redeliveries reach the work");
    deepEqual(seen.received, 20, "requeued first deliveries are not counted");
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "runConsumer() noAck: the broker forgets each message once sent, in every style",
  eachStyle(20, async (style, queue) => {
    const seen = await consume(queue, style, { noAck: true, prefetch: 0, stopAfter: 20 });
    deepEqual(seen.bodies, numbers(20));
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test("runConsumer() ends at max or on stop mid-drain: the message in hand acked, the rest stay", async (t) => {
  const ends: [string, Partial<ConsumerOptions> & { stopAfter?: number }, number][] = [
    ["max 10: resolves after 10, the prefetched rest goes back", { max: 10, prefetch: 5 }, 10],
    ["stop after 3: the message in hand finished and acked", { prefetch: 5, stopAfter: 3 }, 3],
  ];
  for (const [label, options, worked] of ends) {
    await t.step(
      label,
      eachStyle(30, async (style, queue) => {
        const seen = await consume(queue, style, options);
        deepEqual([seen.received, seen.bodies], [worked, numbers(worked)]);
        deepEqual(await settledDepth(queue, 30 - worked), 30 - worked);
      }),
    );
  }
});

Deno.test(
  "runConsumer() stop on an idle queue resolves to 0 promptly; the iterator tells its quiet",
  eachStyle(0, async (style, queue) => {
    const seen = await consume(queue, style, { inactivity: 100, stop: AbortSignal.timeout(700) });
    deepEqual([seen.received, seen.bodies], [0, []]);
    ok(seen.ms >= 650 && seen.ms < 3000, `stopped after ${seen.ms} ms`);
    if (style === "iterator") ok(seen.quiet >= 3, `${seen.quiet} quiet`);
    else deepEqual(seen.quiet, 0);
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "runConsumer() parks a message its work throws on in QUEUE.dead, and goes on",
  eachStyle(5, async (style, queue) => {
    const seen = await consume(queue, style, {
      refuse: (body) => {
        if (body === "2") throw new Error(`cannot work on ${body}`);
      },
      stopAfter: 4,
    });
    deepEqual([seen.received, seen.bodies], [4, ["0", "1", "3", "4"]]);
    deepEqual(seen.parked, [`cannot work on 2 -> ${queue}.dead`]);
    deepEqual([await depth(queue), await depth(`${queue}.dead`)], [0, 1]);
  }),
);

Deno.test(
  "consumer.ts in-process: its flags, read by consumerConfig(), run the loop as they say",
  eachStyle(10, async (style, queue) => {
    const flags = ["--style", style, "--queue", queue, "--requeue-once", "--max", "10"];
    const { loop } = consumerConfig(parseFlags([...flags, "--url", BROKER_URL], FLAGS));
    deepEqual([loop.style, loop.queue, loop.requeueOnce, loop.max], [style, queue, true, 10]);
    const seen = await consume(queue, style, loop);
    deepEqual([seen.received, seen.requeued.length], [10, 10]);
    deepEqual(seen.redelivered, Array(10).fill(true));
    deepEqual(await depth(queue), 0);
  }),
);
