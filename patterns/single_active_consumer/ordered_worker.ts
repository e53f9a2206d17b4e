/**
 * # Single active consumer: an ordered worker
 *
 * Takes messages from `ordered_queue`, a quorum queue with `x-single-active-consumer`: run two,
 * and only the first gets messages while the other stands by. Kill the active one and the broker
 * hands the queue to the other, from the first message not acked, so the order holds.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/single_active_consumer/ordered_worker.ts
 *
 * @module
 */

import { BrokerError, brokerOptions, type DeclaredQueue, integerFlag } from "../../lib/mod.ts";
import type { DeclareQueueOptions } from "../../lib/mod.ts";
import { queueNameFlag, reconnectLines, runConsumer, runMain } from "../../lib/mod.ts";
import { secondsFlag, showBody } from "../../lib/mod.ts";

/** The queue as every client of it declares it: one consumer at a time, and replicated. */
export const SINGLE_ACTIVE: DeclareQueueOptions = {
  type: "quorum",
  arguments: { "x-single-active-consumer": true },
};

/** Refuses a queue another program made without the argument: it would share out messages. */
export function requireSingleActive({ name, arguments: found }: DeclaredQueue): void {
  if (found?.["x-single-active-consumer"] === true) return;
  throw new BrokerError(
    `Queue '${name}' already exists without x-single-active-consumer, so its consumers would ` +
      `share its messages out of order. Delete it or use another --queue`,
  );
}

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: ordered_worker.ts [--queue NAME] [--prefetch N] [--work SECONDS] [--url URL]

Prints each message of a single-active-consumer queue (default ordered_queue), in order, and acks
it; a second worker stands by until this one goes. Ctrl+C stops after the message in hand.
Control characters are shown as escapes (\\n, \\x1b).`,
    flags: {
      queue: { type: "string", default: "ordered_queue" },
      prefetch: { type: "string", default: "10" },
      work: { type: "string" }, // seconds of work per message (default none)
      url: { type: "string" },
    },
    async run({ flags, stop, out }) {
      const work = secondsFlag("work", flags.work) ?? 0;
      await runConsumer({
        queue: queueNameFlag("queue", flags.queue),
        declare: SINGLE_ACTIVE, // the same arguments as send_ordered.ts, or a 406
        style: "callback",
        noAck: false, // acked after its line is out: a crash redelivers, never skips
        prefetch: integerFlag("prefetch", flags.prefetch), // at most this many redelivered
        connect: brokerOptions(flags, "ordered_worker.ts"),
        stop,
        on: {
          declared: (queue) => {
            requireSingleActive(queue);
            if (queue.note) console.error(` [!] ${queue.note}`);
            if (queue.consumerCount > 0) out.line(" [*] Another worker is active: standing by");
            out.line(" [*] Waiting for messages. To exit press CTRL+C");
          },
          message: async (message) => {
            const again = message.redelivered ? " (redelivered)" : "";
            out.line(` [x] Received ${showBody(message.body)}${again}`); // [x] Received '7'
            out.flush(); // before the ack: a SIGKILL cannot take a handled message's line
            if (work) await new Promise((resolve) => setTimeout(resolve, work));
          },
          ...reconnectLines(console.error),
        },
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
