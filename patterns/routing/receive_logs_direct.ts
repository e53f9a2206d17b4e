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
  declareExchange,
  forEachMessage,
  onShutdownSignal,
} from "../../lib/mod.ts";
import { parseCommandLine, reconnectLines, reportFailure, serve, showBody } from "../../lib/mod.ts";
import { printable, UsageError } from "../../lib/mod.ts";

const USAGE = `Usage: receive_logs_direct.ts [--exchange NAME] [--url URL] [--raw] SEVERITY...

Prints messages sent with any of the given severities (info, warning, error, ...), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals: severities } = parseCommandLine(args, {
      exchange: { type: "string", default: "direct_logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (severities.length === 0) {
      throw new UsageError("Missing SEVERITY: receive_logs_direct.ts info warning error");
    }

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      await declareExchange(channel, flags.exchange, "direct");
      const queue = await bindExclusiveQueue(channel, flags.exchange, severities);
      console.log(" [*] Waiting for logs. To exit press CTRL+C");
      await forEachMessage(channel, queue, (message) => {
        const key = flags.raw ? message.routingKey : printable(message.routingKey);
        console.log(` [x] ${key}:${showBody(message.body, flags)}`); // [x] error:'Disk full'
      }, { noAck: true, signal });
    }, {
      url: flags.url,
      name: "receive_logs_direct.ts",
      signal,
      ...reconnectLines(console.error),
    });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
