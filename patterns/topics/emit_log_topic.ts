/**
 * # Topics: emit a log message with a dotted routing key
 *
 * Publishes to the topic exchange `topic_logs` with a key such as `kern.critical`: queues bound
 * with a matching pattern (`*` is one word, `#` is zero or more) receive it.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/topics/emit_log_topic.ts kern.critical "A critical kernel error"
 *
 * @module
 */

import { logEmitter } from "../_logs.ts";

// Output: [x] Sent 'kern.critical':'A critical kernel error'
export const main = logEmitter({
  name: "emit_log_topic.ts",
  usage: `Usage: emit_log_topic.ts [--exchange NAME] [--url URL] ROUTING.KEY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with a routing key of dot-separated words (kern.critical).`,
  kind: "topic", // a topic exchange matches dotted keys against patterns (* one word, # zero or more)
  exchange: "topic_logs",
  keys: { name: "ROUTING.KEY", example: 'kern.critical "message"' },
}, "Hello World!");

if (import.meta.main) Deno.exitCode = await main(Deno.args);
