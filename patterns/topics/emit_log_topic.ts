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

import { brokerOptions, declareExchange, publishWithConfirms, runMain } from "../../lib/mod.ts";
import { withChannel } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: emit_log_topic.ts [--exchange NAME] [--url URL] ROUTING.KEY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with a routing key of dot-separated words (kern.critical).`,
    flags: { exchange: { type: "string", default: "topic_logs" }, url: { type: "string" } },
    positionals: { name: "ROUTING.KEY", required: 'kern.critical "message"' },
    async run({ flags, positionals, out }) {
      const [key = "", ...words] = positionals;
      const message = words.join(" ") || "Hello World!";
      await withChannel(async (channel) => {
        // Declared as the official tutorials declare it (not durable), so theirs is the same.
        await declareExchange(channel, flags.exchange, "topic");
        // A topic exchange gives it to the queues whose binding pattern matches the key.
        await publishWithConfirms(channel, key, [message], {
          exchange: flags.exchange,
          properties: {},
        });
      }, brokerOptions(flags, "emit_log_topic.ts"));
      out.line(` [x] Sent '${key}':'${message}'`); // [x] Sent 'kern.critical':'...'
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
