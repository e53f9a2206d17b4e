/**
 * # Producer: send "0".."99" to the queue `hello`
 *
 * The tutorial's producer.py in Deno: connect, declare a durable queue, publish persistent
 * messages through the default exchange, and print each once the broker has confirmed it. If the
 * connection is lost (a broker restart), it reconnects and re-sends what was not confirmed; if
 * the broker blocks publishing (an alarm), it waits.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL producer.ts [--count 100]
 *
 * @module
 */

import { declareQueue, integerFlag, parseFlags, publishReliably } from "./lib/mod.ts";
import { readInputFile, reconnectLines, reportFailure } from "./lib/mod.ts";

const USAGE = `Usage: producer.ts [--count N] [--queue NAME] [--url URL] [--ca FILE]

Publishes N messages ("0" .. "N-1") to a durable queue through the default exchange.

  --count N         how many messages (default 100)
  --queue NAME      queue to declare and publish to (default hello)
  --url URL         broker URL (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --ca FILE         CA certificates (PEM) to trust for amqps:// (default $AMQP_CA_FILE)
  --body-file FILE  send this file's bytes as each message instead of the numbers
  --help            show this text`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      count: { type: "string", default: "100" },
      queue: { type: "string", default: "hello" },
      url: { type: "string" },
      ca: { type: "string" },
      "body-file": { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const count = integerFlag("count", flags.count, 0);
    const file = flags["body-file"];
    const bodies = file
      ? Array(count).fill(await readInputFile("--body-file", file))
      : Array.from({ length: count }, (_, i) => String(i));

    // The default exchange "" routes by queue name. Confirms are awaited in a window, so
    // "Sent" means the broker has the message, without a round trip per message.
    const report = await publishReliably(flags.queue, bodies, {
      url: flags.url,
      caFile: flags.ca,
      name: "producer.ts",
      // Declared the same way as in consumer.ts, so either may start first.
      prepare: (channel) => declareQueue(channel, flags.queue),
      onConfirm: (body, i) =>
        console.log(file ? ` [x] Sent ${file} as message ${i}` : ` [x] Sent '${body}'`), // [x] Sent '7'
      onBlocked: (reason) =>
        console.error(` [!] The broker blocks publishing (${reason}); waiting`),
      onUnblocked: () => console.error(" [*] The broker unblocked publishing"),
      ...reconnectLines(console.error),
    });
    if (report.reconnects > 0) {
      console.log(
        ` [*] ${report.confirmed} confirmed; ${report.resent} sent again after ` +
          `${report.reconnects} reconnect(s), so up to ${report.resent} may be duplicates`,
      );
    }
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
