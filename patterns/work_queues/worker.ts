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

import { bodyText, printable, runMain, secondsFlag } from "../../lib/mod.ts";
import { serveQueue } from "../_logs.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: worker.ts [--queue NAME] [--queue-type T] [--url URL] [--dot SECONDS] [--raw]

Processes tasks from a work queue (created as --queue-type, default quorum, if it does not
exist), one at a time; Ctrl+C stops after the current task. Control characters in a task are
shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
    flags: {
      queue: { type: "string", default: "task_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
      dot: { type: "string", default: "1" }, // seconds of work per "."
      raw: { type: "boolean", default: false },
    },
    async run({ flags, stop, out }) {
      const perDot = secondsFlag("dot", flags.dot);
      // Prefetch 1 and the ack after the work: a busy worker is sent no new task, and the task
      // of a worker that dies before its ack goes to another.
      await serveQueue(flags, {
        ready: () => out.line(" [*] Waiting for messages. To exit press CTRL+C"),
        // A body that is not UTF-8 throws here: parked in QUEUE.dead, not retried forever.
        message: async (message) => {
          const task = bodyText(message.body);
          out.line(` [x] Received '${flags.raw ? task : printable(task)}'`);
          const ms = (task.split(".").length - 1) * perDot; // a second of work per dot
          await new Promise((resolve) => setTimeout(resolve, ms));
          out.line(" [x] Done");
        },
        parked: (reason, parking) =>
          console.error(` [!] ${printable(reason)}: parked in '${parking}'`),
      }, { name: "worker.ts", stop });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
