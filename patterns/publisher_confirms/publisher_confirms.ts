/**
 * # Publisher confirms: three strategies, timed
 *
 * Publishes the same number of messages three ways and prints how long each took: waiting for
 * each confirm before the next publish, confirming in batches, and streaming with the confirms
 * handled as they arrive. A publish the broker refuses (basic.nack, e.g. a full queue with
 * `--max-length` and reject-publish) is reported per message, never dropped silently.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/publisher_confirms/publisher_confirms.ts
 *
 * @module
 */

import { brokerOptions, integerFlag, runMain, withChannel } from "../../lib/mod.ts";

/** Publishes message i; settles once the broker has confirmed it, or refused it (reported). */
type Confirm = (i: number) => Promise<void>;

const strategies: Record<string, (confirm: Confirm, count: number) => Promise<void>> = {
  // Simplest and slowest: a round trip per message.
  "one at a time": async (confirm, count) => {
    for (let i = 0; i < count; i++) await confirm(i);
  },
  // Publish a batch, then wait for all of its confirms.
  "in batches of 100": async (confirm, count) => {
    for (let start = 0; start < count; start += 100) {
      const size = Math.min(100, count - start);
      await Promise.all(Array.from({ length: size }, (_, i) => confirm(start + i)));
    }
  },
  // Keep publishing; handle each confirm when it comes, with at most 1000 outstanding.
  "streaming, confirms handled async": async (confirm, count) => {
    const outstanding = new Set<Promise<void>>();
    for (let i = 0; i < count; i++) {
      const confirmed = confirm(i).finally(() => outstanding.delete(confirmed));
      outstanding.add(confirmed);
      if (outstanding.size >= 1000) await Promise.race(outstanding);
    }
    await Promise.all(outstanding);
  },
};

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: publisher_confirms.ts [--count N] [--max-length N] [--url URL]

Publishes N messages (default 10000) with each confirm strategy and prints the time each took.
--max-length N makes each queue hold at most N and refuse the rest (reject-publish).`,
    flags: {
      count: { type: "string", default: "10000" },
      "max-length": { type: "string" },
      url: { type: "string" },
    },
    async run({ flags, out }) {
      const count = integerFlag("count", flags.count);
      const maxLength = integerFlag("max-length", flags["max-length"], 0);
      const limit = maxLength === undefined
        ? {}
        : { "x-max-length": maxLength, "x-overflow": "reject-publish" };
      for (const [name, strategy] of Object.entries(strategies)) {
        await withChannel(async (channel) => {
          // A fresh, exclusive queue per strategy, gone when the connection closes.
          const { name: queue } = await channel.queueDeclare("", { exclusive: true }, limit);
          // Confirm mode: each publish's promise settles with the broker's ack or nack.
          await channel.confirmSelect();
          let nacked = 0;
          const started = performance.now();
          await strategy((i) =>
            channel.basicPublish("", queue, `${i}`, {}).then(() => {}, () => {
              nacked++;
              console.error(` [!] Message ${i} was rejected by the broker (nack)`);
            }), count);
          const ms = (performance.now() - started).toFixed(0);
          const settled = `${count - nacked} confirmed, ${nacked} rejected`;
          out.line(` [x] ${name}: ${count} messages in ${ms} ms (${settled})`);
        }, brokerOptions(flags, "publisher_confirms.ts"));
      }
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
