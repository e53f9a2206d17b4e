/**
 * # `deno task demo`: the tutorial end to end, in one command
 *
 * Uses the broker at `AMQP_URL` when one answers, else starts a throwaway RabbitMQ node (see
 * with_broker.ts); runs producer.ts, then consumer.ts until the queue is drained, and stops the
 * node it started.
 *
 *     deno task demo
 *
 * @module
 */

import { maskUrl } from "../lib/mod.ts";
import { scriptArgv } from "./_scripts.ts";
import { withBroker } from "./with_broker.ts";

/**
 * Runs a script of this repository with the narrow permissions the README documents. A Ctrl+C
 * reaches the script too (same process group): it stops cleanly, and this waits for it, so that
 * a node started for the demo is still stopped and removed.
 */
async function script(url: string, name: string, ...args: string[]): Promise<number> {
  const wait = () => {};
  Deno.addSignalListener("SIGINT", wait);
  try {
    // "deno" by name: the task's --allow-run=deno names it so.
    const [deno, ...argv] = scriptArgv(name, args, { url, deno: "deno" });
    const child = new Deno.Command(deno!, { args: argv, env: { AMQP_URL: url } }).spawn();
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", wait);
  }
}

try {
  Deno.exitCode = await withBroker(async (url) => {
    console.log(`\n$ deno run producer.ts   # AMQP_URL=${maskUrl(url)}`);
    const produced = await script(url, "producer.ts");
    if (produced !== 0) return produced;
    console.log("\n$ deno run consumer.ts --idle 1   # stops once the queue is drained");
    return await script(url, "consumer.ts", "--idle", "1");
  }, (source, url) => {
    console.log(
      source === "AMQP_URL"
        ? `Using the broker at ${maskUrl(url)}`
        : `No broker at AMQP_URL: started a throwaway ${source} at ${maskUrl(url)}` +
          " (stopped and removed at the end)",
    );
  });
} catch (error) {
  console.error((error as Error).message.split("\n")[0]);
  Deno.exitCode = 1;
}
