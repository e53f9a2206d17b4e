/**
 * # Topics: receive log messages matching patterns
 *
 * Binds a fresh exclusive queue to the topic exchange `topic_logs` once per pattern given:
 * `*` matches one word and `#` zero or more, so `kern.*`, `*.critical` and `#` (everything) work.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/topics/receive_logs_topic.ts "kern.*" "*.critical"
 *
 * @module
 */

import { logReceiver } from "../_logs.ts";

// Output: [x] kern.critical:'A critical kernel error'
export const main = logReceiver({
  name: "receive_logs_topic.ts",
  usage: `Usage: receive_logs_topic.ts [--exchange NAME] [--url URL] [--raw] PATTERN...

Prints messages whose routing key matches any PATTERN (kern.*, *.critical, #), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
  kind: "topic", // a topic exchange matches dotted keys against patterns (* one word, # zero or more)
  exchange: "topic_logs",
  keys: { name: "PATTERN", example: '"kern.*" "*.critical"' },
});

if (import.meta.main) Deno.exitCode = await main(Deno.args);
