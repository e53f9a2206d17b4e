/**
 * # Work queues: send a task
 *
 * Puts a task on the durable work queue `task_queue`, where the first free worker.ts takes it.
 * Each "." in the task is a second of work for the worker.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/work_queues/new_task.ts "A task..."
 *
 * @module
 */

import { brokerOptions, declareQueue, queueNameFlag, queueTypeFlags } from "../../lib/mod.ts";
import { runMain, sendOne } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: new_task.ts [--queue NAME] [--queue-type T] [--url URL] [TASK...]

Sends TASK (default "Hello World!") to a work queue (created as --queue-type, default quorum,
if it does not exist) as a persistent message; each "." is a second of work.`,
    flags: {
      queue: { type: "string", default: "task_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
    },
    positionals: { name: "TASK" },
    async run({ flags, positionals, out }) {
      const task = positionals.join(" ") || "Hello World!";
      const queue = queueNameFlag("queue", flags.queue);
      const declare = queueTypeFlags(flags["queue-type"], false);
      // Durable queue, persistent message: the task survives a broker restart. A queue another
      // program made first is used as it is. Confirmed: "Sent" means the broker has it.
      await sendOne(queue, task, {
        connect: brokerOptions(flags, "new_task.ts"),
        prepare: async (channel) => {
          const { note } = await declareQueue(channel, queue, declare);
          if (note) console.error(` [!] ${note}`);
        },
      });
      out.line(` [x] Sent '${task}'`); // [x] Sent 'Hello...'
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
