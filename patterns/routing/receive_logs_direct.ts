/**
 * # Routing: receive log messages of chosen severities
 *
 * Binds a fresh exclusive queue to the direct exchange `direct_logs` once per severity given, so
 * it receives exactly the messages whose routing key is one of them.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/routing/receive_logs_direct.ts warning error
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
    usage: `Usage: receive_logs_direct.ts [--exchange NAME] [--url URL] [--raw] SEVERITY...

Prints messages sent with any of the given severities (info, warning, error, ...), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
    flags: {
      exchange: { type: "string", default: "direct_logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
    },
    positionals: { name: "SEVERITY", required: "info warning error" },
    async run({ flags, positionals, stop, out }) {
      // Again after a lost connection: the exclusive queue went with the old one.
      await withReconnectingChannel(async (channel) => {
        await declareExchange(channel, flags.exchange, "direct");
        // A queue of its own, named by the broker, gone when this receiver stops.
        const queue = await bindExclusiveQueue(channel, flags.exchange, positionals);
        out.line(" [*] Waiting for logs. To exit press CTRL+C");
        // Auto-ack, as the tutorial: a log line missed while stopping is no loss.
        await forEachMessage(channel, queue, (message) => {
          const key = flags.raw ? message.routingKey : printable(message.routingKey);
          out.line(` [x] ${key}:${showBody(message.body, flags)}`); // [x] error:'Disk full'
        }, { noAck: true, stop });
      }, {
        connect: brokerOptions(flags, "receive_logs_direct.ts"),
        stop,
        on: reconnectLines(console.error),
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
