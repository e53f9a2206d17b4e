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

import { basicPublishConfirmed, declareExchange, parseCommandLine } from "../../lib/mod.ts";
import { reportFailure, UsageError, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: emit_log_direct.ts [--exchange NAME] [--url URL] SEVERITY [MESSAGE...]

Sends MESSAGE (default "Hello World!") with routing key SEVERITY (info, warning, error, ...).`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      exchange: { type: "string", default: "direct_logs" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const [severity, ...words] = positionals;
    if (!severity) throw new UsageError('Missing SEVERITY: emit_log_direct.ts error "Disk full"');
    const message = words.join(" ") || "Hello World!";

    await withChannel(async (channel) => {
      await declareExchange(channel, flags.exchange, "direct");
      await basicPublishConfirmed(channel, severity, [message], {
        exchange: flags.exchange,
        properties: {},
      });
    }, { url: flags.url, name: "emit_log_direct.ts" });
    console.log(` [x] Sent '${severity}':'${message}'`); // [x] Sent 'error':'Disk full'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
