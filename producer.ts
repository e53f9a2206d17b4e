/**
 * # Producer: send "0".."99" to the queue `hello`
 *
 * The tutorial's producer.py in Deno: connect, declare a durable queue, publish persistent
 * messages through the default exchange, and print each once the broker has confirmed it.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL producer.ts [--count 100]
 *
 * @module
 */

import { basicPublishConfirmed, connect, declareQueue, failure } from "./lib/mod.ts";
import { integerFlag, parseFlags } from "./lib/mod.ts";

const USAGE = `Usage: producer.ts [--count N] [--queue NAME] [--url URL]

Publishes N messages ("0" .. "N-1") to a durable queue through the default exchange.

  --count N      how many messages (default 100)
  --queue NAME   queue to declare and publish to (default hello)
  --url URL      broker URL (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --help         show this text`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      count: { type: "string", default: "100" },
      queue: { type: "string", default: "hello" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const count = integerFlag("count", flags.count, 0);

    const connection = await connect({ url: flags.url, name: "producer.ts" });
    try {
      const channel = await connection.channel();
      // Declared the same way as in consumer.ts, so either may start first.
      await declareQueue(channel, flags.queue);

      // The default exchange "" routes by queue name. Confirms are awaited in a window, so
      // "Sent" means the broker has the message, without a round trip per message.
      const bodies = Array.from({ length: count }, (_, i) => String(i));
      await basicPublishConfirmed(channel, flags.queue, bodies, {
        onConfirm: (body) => console.log(` [x] Sent '${body}'`), // [x] Sent '7'
      });
    } finally {
      await connection.close().catch(() => {});
    }
    return 0;
  } catch (error) {
    const { line, exitCode } = failure(error);
    console.error(line);
    return exitCode;
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
