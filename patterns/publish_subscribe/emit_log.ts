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

import { basicPublishConfirmed, declareExchange, parseCommandLine } from "../../lib/mod.ts";
import { reportFailure, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: emit_log.ts [--exchange NAME] [--url URL] [MESSAGE...]

Sends MESSAGE (default "info: Hello World!") to every receiver through a fanout exchange.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      exchange: { type: "string", default: "logs" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const message = positionals.join(" ") || "info: Hello World!";

    await withChannel(async (channel) => {
      await declareExchange(channel, flags.exchange, "fanout");
      // A fanout exchange ignores the routing key.
      await basicPublishConfirmed(channel, "", [message], {
        exchange: flags.exchange,
        properties: {},
      });
    }, { url: flags.url, name: "emit_log.ts" });
    console.log(` [x] Sent '${message}'`); // [x] Sent 'info: Hello World!'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
