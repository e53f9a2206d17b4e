/**
 * # Single active consumer: send numbered messages
 *
 * Publishes "0" .. "N-1" to `ordered_queue`, in order and confirmed, declaring the queue with
 * `x-single-active-consumer` exactly as ordered_worker.ts does: every client of a queue declares
 * it with the same arguments, and whoever comes first makes it so.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/single_active_consumer/send_ordered.ts --count 10
 *
 * @module
 */

import { brokerOptions, declareQueue, integerFlag, publishWithConfirms } from "../../lib/mod.ts";
import { queueNameFlag, runMain, withChannel } from "../../lib/mod.ts";
import { requireSingleActive, SINGLE_ACTIVE } from "./ordered_worker.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: send_ordered.ts [--queue NAME] [--count N] [--url URL]

Publishes N persistent messages ("0" .. "N-1", default 10) in order, with confirms, to a
single-active-consumer queue (default ordered_queue), made if it does not exist.`,
    flags: {
      queue: { type: "string", default: "ordered_queue" },
      count: { type: "string", default: "10" },
      url: { type: "string" },
    },
    async run({ flags, out }) {
      const queue = queueNameFlag("queue", flags.queue);
      const count = integerFlag("count", flags.count);
      await withChannel(async (channel) => {
        // Declared as the worker declares it; one made without the argument is refused, since
        // the order these messages go in would not be the order any worker sees.
        const found = await declareQueue(channel, queue, SINGLE_ACTIVE);
        requireSingleActive(found);
        if (found.note) console.error(` [!] ${found.note}`);
        // One channel, confirms in a window: the broker keeps them in the order they were sent,
        // and "Sent" means it has them.
        const bodies = { length: count, at: (i: number) => i.toFixed(0) };
        await publishWithConfirms(channel, queue, bodies, {
          onConfirm: (body) => out.line(` [x] Sent '${body}'`), // [x] Sent '7'
        });
      }, brokerOptions(flags, "send_ordered.ts"));
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
