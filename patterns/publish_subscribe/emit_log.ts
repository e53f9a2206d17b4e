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

import { brokerOptions, declareExchange, publishWithConfirms, runMain } from "../../lib/mod.ts";
import { withChannel } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: emit_log.ts [--exchange NAME] [--url URL] [MESSAGE...]

Sends MESSAGE (default "info: Hello World!") to every receiver through a fanout exchange.`,
    flags: { exchange: { type: "string", default: "logs" }, url: { type: "string" } },
    positionals: { name: "MESSAGE" },
    async run({ flags, positionals, out }) {
      const message = positionals.join(" ") || "info: Hello World!";
      await withChannel(async (channel) => {
        // Declared as the official tutorials declare it (not durable), so theirs is the same.
        await declareExchange(channel, flags.exchange, "fanout");
        // A fanout exchange copies a message to every queue bound to it; it ignores the routing key.
        await publishWithConfirms(channel, "", [message], {
          exchange: flags.exchange,
          properties: {},
        });
      }, brokerOptions(flags, "emit_log.ts"));
      out.line(` [x] Sent '${message}'`); // [x] Sent 'info: Hello World!'
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
