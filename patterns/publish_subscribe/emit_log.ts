/**
 * # Publish/subscribe: emit a log message to every receiver
 *
 * Publishes to the fanout exchange `logs`, which copies the message to every queue bound to it:
 * each running receive_logs.ts gets it. With no receiver, the message goes nowhere.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/publish_subscribe/emit_log.ts "info: Hello"
 *
 * @module
 */

import { logEmitter } from "../_logs.ts";

// Output: [x] Sent 'info: Hello World!'
export const main = logEmitter({
  name: "emit_log.ts",
  usage: `Usage: emit_log.ts [--exchange NAME] [--url URL] [MESSAGE...]

Sends MESSAGE (default "info: Hello World!") to every receiver through a fanout exchange.`,
  kind: "fanout", // a fanout exchange copies each message to every queue bound to it
  exchange: "logs",
}, "info: Hello World!");

if (import.meta.main) Deno.exitCode = await main(Deno.args);
