/**
 * # Topics: receive log messages matching patterns
 *
 * Binds a fresh exclusive queue to the topic exchange `topic_logs` once per pattern given:
 * `*` matches one word and `#` zero or more, so `kern.*`, `*.critical` and `#` (everything) work.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/topics/receive_logs_topic.ts "kern.*" "*.critical"
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

const USAGE = `Usage: receive_logs_topic.ts [--exchange NAME] [--url URL] [--raw] PATTERN...

Prints messages whose routing key matches any PATTERN (kern.*, *.critical, #), until Ctrl+C.
Control characters in a message are shown as escapes (\\n, \\x1b); --raw prints them as they are.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals: patterns } = parseCommandLine(args, {
      exchange: { type: "string", default: "topic_logs" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (patterns.length === 0) {
      throw new UsageError('Missing PATTERN: receive_logs_topic.ts "kern.*" "*.critical"');
    }

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      await declareExchange(channel, flags.exchange, "topic");
      const queue = await bindExclusiveQueue(channel, flags.exchange, patterns);
      console.log(" [*] Waiting for logs. To exit press CTRL+C");
      await forEachMessage(channel, queue, (message) => {
        const key = flags.raw ? message.routingKey : printable(message.routingKey);
        console.log(` [x] ${key}:${showBody(message.body, flags)}`); // [x] kern.critical:'...'
      }, { noAck: true, signal });
    }, { url: flags.url, name: "receive_logs_topic.ts", signal, ...reconnectLines(console.error) });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
