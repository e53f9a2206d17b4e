/**
 * # Routing: emit a log message with a severity
 *
 * Publishes to the direct exchange `direct_logs` with the severity as routing key: only queues
 * bound with exactly that key receive it.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/routing/emit_log_direct.ts error "Disk full"
 *
 * @module
 */

import { brokerOptions, declareExchange, publishWithConfirms, runMain } from "../../lib/mod.ts";
import { withChannel } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: emit_log_direct.ts [--exchange NAME] [--url URL] SEVERITY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with routing key SEVERITY (info, warning, error, ...).`,
    flags: { exchange: { type: "string", default: "direct_logs" }, url: { type: "string" } },
    positionals: { name: "SEVERITY", required: 'error "Disk full"' },
    async run({ flags, positionals, out }) {
      const [key = "", ...words] = positionals;
      const message = words.join(" ") || "Hello World!";
      await withChannel(async (channel) => {
        // Declared as the official tutorials declare it (not durable), so theirs is the same.
        await declareExchange(channel, flags.exchange, "direct");
        // A direct exchange gives it to the queues bound with exactly this key.
        await publishWithConfirms(channel, key, [message], {
          exchange: flags.exchange,
          properties: {},
        });
      }, brokerOptions(flags, "emit_log_direct.ts"));
      out.line(` [x] Sent '${key}':'${message}'`); // [x] Sent 'error':'Disk full'
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
