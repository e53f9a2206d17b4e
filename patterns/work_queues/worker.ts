/**
 * # Work queues: a worker
 *
 * Takes tasks from `task_queue` one at a time (prefetch 1, so a busy worker gets no more and the
 * broker hands tasks to whichever worker is free: fair dispatch), sleeps a second per dot, and
 * acks only when the work is done, so a crashed worker's task goes to another. Run several.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL patterns/work_queues/worker.ts
 *
 * @module
 */

import { basicConsume, bodyText, declareQueue, onShutdownSignal } from "../../lib/mod.ts";
import { parseFlags, reconnectLines, reportFailure, secondsFlag, serve } from "../../lib/mod.ts";

const USAGE = `Usage: worker.ts [--queue NAME] [--url URL] [--dot SECONDS]

Processes tasks from a durable work queue, one at a time; Ctrl+C stops after the current task.`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      queue: { type: "string", default: "task_queue" },
      url: { type: "string" },
      dot: { type: "string", default: "1" }, // seconds of work per "."
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const perDot = secondsFlag("dot", flags.dot);

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      await declareQueue(channel, flags.queue);
      // Prefetch 1: no new task until this one is acked.
      await channel.basicQos(1, 0, false);
      console.log(" [*] Waiting for messages. To exit press CTRL+C");
      await basicConsume(channel, flags.queue, async (message) => {
        let task: string;
        try {
          task = bodyText(message.body);
        } catch (error) {
          await message.reject(false); // unreadable: parked in QUEUE.dead, not retried forever
          return console.error(` [!] ${(error as Error).message}: rejected`);
        }
        console.log(` [x] Received '${task}'`);
        const dots = task.split(".").length - 1;
        await new Promise((resolve) => setTimeout(resolve, dots * perDot));
        console.log(" [x] Done");
        await message.ack(false); // only now is the task gone from the broker
      }, { noAck: false, signal });
    }, { url: flags.url, name: "worker.ts", signal, ...reconnectLines(console.error) });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
