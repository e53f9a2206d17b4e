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

import { basicPublishConfirmed, declareExchange, parseCommandLine } from "../../lib/mod.ts";
import { reportFailure, UsageError, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: emit_log_topic.ts [--exchange NAME] [--url URL] ROUTING.KEY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with a routing key of dot-separated words (kern.critical).`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      exchange: { type: "string", default: "topic_logs" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const [key, ...words] = positionals;
    if (!key) {
      throw new UsageError('Missing ROUTING.KEY: emit_log_topic.ts kern.critical "message"');
    }
    const message = words.join(" ") || "Hello World!";

    await withChannel(async (channel) => {
      await declareExchange(channel, flags.exchange, "topic");
      await basicPublishConfirmed(channel, key, [message], {
        exchange: flags.exchange,
        properties: {},
      });
    }, { url: flags.url, name: "emit_log_topic.ts" });
    console.log(` [x] Sent '${key}':'${message}'`); // [x] Sent 'kern.critical':'...'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
