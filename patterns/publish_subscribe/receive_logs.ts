/**
 * # Publish/subscribe: receive every log message
 *
 * Binds a fresh, exclusive, server-named queue to the fanout exchange `logs`, so this receiver
 * gets a copy of every message emitted from now on; the queue disappears when it stops.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/publish_subscribe/receive_logs.ts
 *
 * @module
 */

import {
  bindExclusiveQueue,
  brokerOptions,
  declareExchange,
  forEachMessage,
} from "../../lib/mod.ts";
import { reconnectLines, runMain, showBody, withReconnectingChannel } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: receive_logs.ts [--exchange NAME] [--url URL] [--raw]

Prints every message sent to a fanout exchange, until Ctrl+C. Control characters in a message
are shown as escapes (\\n, \\x1b); --raw prints them as they are.`,
    flags: {
      exchange: { type: "string", default: "logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
    },
    async run({ flags, stop, out }) {
      // Again after a lost connection: the exclusive queue went with the old one.
      await withReconnectingChannel(async (channel) => {
        await declareExchange(channel, flags.exchange, "fanout");
        // A queue of its own, named by the broker, gone when this receiver stops.
        const queue = await bindExclusiveQueue(channel, flags.exchange, [""]);
        out.line(" [*] Waiting for logs. To exit press CTRL+C");
        // Auto-ack, as the tutorial: a log line missed while stopping is no loss.
        await forEachMessage(channel, queue, (message) => {
          out.line(` [x] ${showBody(message.body, flags)}`); // [x] 'info: Hello World!'
        }, { noAck: true, stop });
      }, {
        connect: brokerOptions(flags, "receive_logs.ts"),
        stop,
        on: reconnectLines(console.error),
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
