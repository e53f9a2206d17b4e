/**
 * # Work queues: send a task
 *
 * Puts one task on the durable queue `task_queue` as a persistent message, confirmed by the
 * broker. Each dot in the task stands for a second of work for worker.ts.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/work_queues/new_task.ts Hello...
 *
 * @module
 */

import { basicPublishConfirmed, declareQueue, parseCommandLine } from "../../lib/mod.ts";
import { queueNameFlag, queueTypeFlags, reportFailure, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: new_task.ts [--queue NAME] [--queue-type T] [--url URL] [TASK...]

Sends TASK (default "Hello World!") to a work queue (created as --queue-type, default quorum,
if it does not exist) as a persistent message; each "." is a second of work.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      queue: { type: "string", default: "task_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const task = positionals.join(" ") || "Hello World!";
    const queue = queueNameFlag("queue", flags.queue);
    const declare = queueTypeFlags(flags["queue-type"], false);

    await withChannel(async (channel) => {
      // Durable queue and persistent message: the task survives a broker restart. A queue
      // another program made first is used as it is.
      const { note } = await declareQueue(channel, queue, declare);
      if (note) console.error(` [!] ${note}`);
      await basicPublishConfirmed(channel, queue, [task]);
    }, { url: flags.url, name: "new_task.ts" });
    console.log(` [x] Sent '${task}'`); // [x] Sent 'Hello...'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
