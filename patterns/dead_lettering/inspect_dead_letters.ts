/**
 * # Dead-lettering: look at the parked messages
 *
 * Lists the messages parked in `jobs.dead` with why and from where each was dead-lettered (the
 * broker's `x-death` header, or the `x-parked-*` headers of a message that consumer.ts or
 * worker.ts parked), then puts them all back where they were, in order, so looking changes
 * nothing. `--ack` removes them instead, once you have dealt with them.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/dead_lettering/inspect_dead_letters.ts
 *
 * @module
 */

import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { BrokerError, brokerOptions, parkingQueue, printable, runMain } from "../../lib/mod.ts";
import { showBody, withChannel } from "../../lib/mod.ts";

/** The broker's record of a dead-lettering, as far as this script shows it. */
type Death = { reason?: string; queue?: string; count?: number; time?: Date };

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: inspect_dead_letters.ts [--queue NAME] [--url URL] [--ack]

Shows the messages parked in NAME.dead (default jobs.dead) and leaves them there; --ack removes them.`,
    flags: {
      queue: { type: "string", default: "jobs" },
      url: { type: "string" },
      ack: { type: "boolean", default: false },
    },
    async run({ flags, out }) {
      const parking = parkingQueue(flags.queue) ?? flags.queue;
      await withChannel(async (channel) => {
        const missing = `No queue '${parking}': nothing was ever parked from '${flags.queue}'`;
        await channel.queueDeclare(parking, { passive: true }).catch((cause) => {
          throw new BrokerError(missing, { cause });
        });
        // Take each message without acking; they stay ours until we ack or requeue them.
        const held: AMQPMessage[] = [];
        for (let m; (m = await channel.basicGet(parking, { noAck: false }));) held.push(m);
        for (const message of held) {
          const headers = message.properties.headers ?? {};
          const death = (headers["x-death"] as Death[] | undefined)?.[0];
          const why = death
            ? `${death.reason ?? "?"} in '${death.queue ?? "?"}' ${death.count ?? "?"} time(s), ` +
              (death.time?.toISOString() ?? "")
            : `parked from '${headers["x-parked-from"] ?? "?"}': ` +
              (headers["x-parked-reason"] ?? "?");
          out.line(` [x] ${showBody(message.body)}: ${printable(why)}`);
          // [x] 'abc': rejected in 'jobs' 1 time(s), 2026-11-27T01:20:00.000Z
        }
        const last = held.at(-1);
        if (last) {
          if (flags.ack) await channel.basicAck(last.deliveryTag, true);
          else await channel.basicNack(last.deliveryTag, true, true); // requeue all, in order
        }
        const now = flags.ack ? "now removed" : "left in place";
        out.line(` [*] ${held.length} parked in '${parking}', ${now}`);
      }, brokerOptions(flags, "inspect_dead_letters.ts"));
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
