/**
 * # Work queues: a worker
 *
 * Takes tasks from `task_queue` one at a time (prefetch 1, so a busy worker gets no more and the
 * broker hands tasks to whichever worker is free: fair dispatch), sleeps a second per dot, and
 * acks only when the work is done, so a crashed worker's task goes to another. Run several.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/work_queues/worker.ts
 *
 * @module
 */

import { bodyText, declareQueue, forEachMessage, onShutdownSignal } from "../../lib/mod.ts";
import { parkMessage, parseFlags, queueNameFlag, queueTypeFlags } from "../../lib/mod.ts";
import { printable, reconnectLines, reportFailure, secondsFlag, serve } from "../../lib/mod.ts";

const USAGE = `Usage: worker.ts [--queue NAME] [--queue-type T] [--url URL] [--dot SECONDS]

Processes tasks from a work queue (created as --queue-type, default quorum, if it does not
exist), one at a time; Ctrl+C stops after the current task. Control characters in a task are shown
as escapes (\\n, \\x1b); --raw prints them as they are.`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      queue: { type: "string", default: "task_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
      dot: { type: "string", default: "1" }, // seconds of work per "."
      raw: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const perDot = secondsFlag("dot", flags.dot);
    const queue = queueNameFlag("queue", flags.queue);
    const declare = queueTypeFlags(flags["queue-type"], false);

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      // Shared with new_task.ts and the official tutorials' worker.py: used as it is if it exists.
      const { note } = await declareQueue(channel, queue, declare);
      if (note) console.error(` [!] ${note}`);
      // Prefetch 1: no new task until this one is acked.
      await channel.basicQos(1, 0, false);
      console.log(" [*] Waiting for messages. To exit press CTRL+C");
      await forEachMessage(channel, queue, async (message) => {
        let task: string;
        try {
          task = bodyText(message.body);
        } catch (error) {
          // Unreadable: parked in QUEUE.dead, not retried forever.
          const reason = (error as Error).message;
          await parkMessage(message, { from: queue, queue: `${queue}.dead`, reason, declare });
          return console.error(` [!] ${printable(reason)}: parked in '${queue}.dead'`);
        }
        console.log(` [x] Received '${flags.raw ? task : printable(task)}'`);
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
