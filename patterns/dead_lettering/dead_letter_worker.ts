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

import { BrokerError, declareQueue, forEachMessage, onShutdownSignal } from "../../lib/mod.ts";
import { parkingQueue, parseFlags, queueNameFlag, reconnectLines } from "../../lib/mod.ts";
import { printable, reportFailure, serve, showBody } from "../../lib/mod.ts";

const USAGE = `Usage: dead_letter_worker.ts [--queue NAME] [--url URL]

Squares each number from the queue; anything else is rejected to NAME.dead. Runs until Ctrl+C.
Send jobs with: new_task.ts --queue jobs 7`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      queue: { type: "string", default: "jobs" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const queue = queueNameFlag("queue", flags.queue);
    const parking = parkingQueue(queue) ?? `${queue}.parked`;

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      // The queue's x-dead-letter-exchange ("", the default) and x-dead-letter-routing-key
      // (NAME.dead) are what turn a rejection into parking, so this queue must have them.
      await declareQueue(channel, parking);
      const declared = await declareQueue(channel, queue, {
        arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": parking },
      });
      if (declared.arguments?.["x-dead-letter-routing-key"] !== parking) {
        throw new BrokerError(
          `Queue '${queue}' already exists without the dead-letter settings this pattern needs.` +
            ` Delete it ("rabbitmqctl delete_queue ${queue}") or use another --queue`,
        );
      }
      await channel.basicQos(1, 0, false);
      console.log(` [*] Waiting for jobs in '${queue}'. To exit press CTRL+C`);
      await forEachMessage(channel, queue, async (message) => {
        const job = message.bodyString()?.trim() ?? "";
        if (!/^-?\d+(\.\d+)?$/.test(job)) {
          await message.reject(false); // requeue=false: dead-lettered, not redelivered
          return console.log(
            ` [!] Cannot process ${showBody(message.body)}: rejected to '${parking}'`,
          );
        }
        console.log(` [x] ${printable(job)} squared is ${Number(job) ** 2}`); // [x] 7 squared is 49
        await message.ack(false);
      }, { noAck: false, signal });
    }, { url: flags.url, name: "dead_letter_worker.ts", signal, ...reconnectLines(console.error) });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
