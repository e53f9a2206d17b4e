/**
 * # Work queues: send a task
 *
 * Puts one task on the durable queue `task_queue` as a persistent message, confirmed by the
 * broker. Each dot in the task stands for a second of work for worker.ts.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL patterns/work_queues/new_task.ts Hello...
 *
 * @module
 */

import { basicPublishConfirmed, declareQueue, parseCommandLine } from "../../lib/mod.ts";
import { reportFailure, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: new_task.ts [--queue NAME] [--url URL] [TASK...]

Sends TASK (default "Hello World!") to a durable work queue; each "." is a second of work.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      queue: { type: "string", default: "task_queue" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const task = positionals.join(" ") || "Hello World!";

    await withChannel(async (channel) => {
      // Durable queue and persistent message: the task survives a broker restart.
      await declareQueue(channel, flags.queue);
      await basicPublishConfirmed(channel, flags.queue, [task]);
    }, { url: flags.url, name: "new_task.ts" });
    console.log(` [x] Sent '${task}'`); // [x] Sent 'Hello...'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
