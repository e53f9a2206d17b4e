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
  declareExchange,
  forEachMessage,
  onShutdownSignal,
} from "../../lib/mod.ts";
import { parseFlags, reconnectLines, reportFailure, serve, showBody } from "../../lib/mod.ts";

const USAGE = `Usage: receive_logs.ts [--exchange NAME] [--url URL] [--raw]

Prints every message sent to a fanout exchange, until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      exchange: { type: "string", default: "logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      await declareExchange(channel, flags.exchange, "fanout");
      const queue = await bindExclusiveQueue(channel, flags.exchange, [""]);
      console.log(" [*] Waiting for logs. To exit press CTRL+C");
      // Logs are disposable: auto-ack, as in the tutorial.
      await forEachMessage(channel, queue, (message) => {
        console.log(` [x] ${showBody(message.body, flags)}`); // [x] 'info: Hello World!'
      }, { noAck: true, signal });
    }, { url: flags.url, name: "receive_logs.ts", signal, ...reconnectLines(console.error) });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
