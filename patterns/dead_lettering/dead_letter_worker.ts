/**
 * # Dead-lettering: a worker that parks what it cannot process
 *
 * Squares the numbers it takes from the queue `jobs`. A job it cannot process (not a number) is
 * rejected without requeue: instead of looping back forever, the broker dead-letters it through
 * the queue's dead-letter exchange to `jobs.dead`, and the next job goes on. See what was parked
 * with inspect_dead_letters.ts.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/dead_lettering/dead_letter_worker.ts
 *
 * @module
 */

import { BrokerError, brokerOptions, declareQueue, forEachMessage } from "../../lib/mod.ts";
import { parkingQueue, printable, queueNameFlag, reconnectLines, runMain } from "../../lib/mod.ts";
import { showBody, withReconnectingChannel } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: dead_letter_worker.ts [--queue NAME] [--url URL]

Squares each number from the queue; anything else is rejected to NAME.dead. Runs until Ctrl+C.
Send jobs with: new_task.ts --queue jobs 7`,
    flags: { queue: { type: "string", default: "jobs" }, url: { type: "string" } },
    async run({ flags, stop, out }) {
      const queue = queueNameFlag("queue", flags.queue);
      const parking = parkingQueue(queue) ?? `${queue}.parked`;
      await withReconnectingChannel(async (channel) => {
        // The queue's x-dead-letter-exchange ("", the default) and x-dead-letter-routing-key
        // (NAME.dead) are what turn a rejection into parking, so this queue must have them.
        await declareQueue(channel, parking);
        const declared = await declareQueue(channel, queue, {
          arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": parking },
        });
        if (declared.arguments?.["x-dead-letter-routing-key"] !== parking) {
          throw new BrokerError(
            `Queue '${queue}' already exists without the dead-letter settings this pattern ` +
              `needs. Delete it ("rabbitmqctl delete_queue ${queue}") or use another --queue`,
          );
        }
        await channel.basicQos(1, 0, false);
        out.line(` [*] Waiting for jobs in '${queue}'. To exit press CTRL+C`);
        await forEachMessage(channel, queue, async (message) => {
          const job = message.bodyString()?.trim() ?? "";
          if (!/^-?\d+(\.\d+)?$/.test(job)) {
            await message.reject(false); // requeue=false: dead-lettered, not redelivered
            return out.line(
              ` [!] Cannot process ${showBody(message.body)}: rejected to '${parking}'`,
            );
          }
          out.line(` [x] ${printable(job)} squared is ${Number(job) ** 2}`); // [x] 7 squared is 49
          await message.ack(false);
        }, { noAck: false, stop });
      }, {
        connect: brokerOptions(flags, "dead_letter_worker.ts"),
        stop,
        on: reconnectLines(console.error),
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
