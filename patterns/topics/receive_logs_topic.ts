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

import {
  bindExclusiveQueue,
  brokerOptions,
  declareExchange,
  forEachMessage,
} from "../../lib/mod.ts";
import {
  printable,
  reconnectLines,
  runMain,
  showBody,
  withReconnectingChannel,
} from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: receive_logs_topic.ts [--exchange NAME] [--url URL] [--raw] PATTERN...

Prints messages whose routing key matches any PATTERN (kern.*, *.critical, #), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
    flags: {
      exchange: { type: "string", default: "topic_logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
    },
    positionals: { name: "PATTERN", required: '"kern.*" "*.critical"' },
    async run({ flags, positionals, stop, out }) {
      // Again after a lost connection: the exclusive queue went with the old one.
      await withReconnectingChannel(async (channel) => {
        await declareExchange(channel, flags.exchange, "topic");
        // A queue of its own, named by the broker, gone when this receiver stops.
        const queue = await bindExclusiveQueue(channel, flags.exchange, positionals);
        out.line(" [*] Waiting for logs. To exit press CTRL+C");
        // Auto-ack, as the tutorial: a log line missed while stopping is no loss.
        await forEachMessage(channel, queue, (message) => {
          const key = flags.raw ? message.routingKey : printable(message.routingKey);
          out.line(` [x] ${key}:${showBody(message.body, flags)}`); // [x] kern.critical:'A critical kernel error'
        }, { noAck: true, stop });
      }, {
        connect: brokerOptions(flags, "receive_logs_topic.ts"),
        stop,
        on: reconnectLines(console.error),
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
