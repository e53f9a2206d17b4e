/**
 * # Producer: send "0".."99" to the queue `hello`
 *
 * The tutorial's producer.py in Deno: connect, declare the queue (or use it as it is if another
 * program made it first), publish persistent messages through the default exchange, and print
 * each once the broker has confirmed it. If the connection is lost (a broker restart), it
 * reconnects and re-sends what was not confirmed; if the broker blocks publishing (an alarm), it
 * waits. The snippet-sized version is examples/send.ts.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" producer.ts --count 100
 *
 * @module
 */

import { declareQueue, integerFlag, parseFlags, publishReliably } from "./lib/mod.ts";
import { queueNameFlag, queueTypeFlags, readInputFile } from "./lib/mod.ts";
import { onShutdownSignal, type PublishReport, reconnectLines, reportFailure } from "./lib/mod.ts";
import { bufferedLines, progressLine } from "./lib/mod.ts";

const USAGE = `Usage: producer.ts [--count N] [--queue NAME] [--queue-type T] [--url URL] [flags]

Publishes N persistent messages ("0" .. "N-1") to a queue through the default exchange.

  --count N         how many messages (default 100)
  --queue NAME      queue to publish to, declared if it does not exist (default hello)
  --queue-type T    quorum (default), classic or stream: the type it is created with
  --transient       create it non-durable, like the article's queue_declare("hello")
                    (with --queue-type classic)
  --url URL         broker URL (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --ca FILE         CA certificates (PEM) to trust for amqps:// (default $AMQP_CA_FILE)
  --body-file FILE  send this file's bytes as each message instead of the numbers
  --help            show this text`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      count: { type: "string", default: "100" },
      queue: { type: "string", default: "hello" },
      "queue-type": { type: "string", default: "quorum" },
      transient: { type: "boolean", default: false },
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
    const queue = queueNameFlag("queue", flags.queue);
    const declare = queueTypeFlags(flags["queue-type"], flags.transient);
    const file = flags["body-file"];
    // Made as they are sent, so that a million messages do not sit in memory at once.
    const content = file ? await readInputFile("--body-file", file) : undefined;
    // i.toFixed(0), not String(i): V8 keeps the last ~8,000 strings String() made from numbers
    // alive in a cache, and a stream of them, surviving each minor GC, makes V8 grow its young
    // generation until memory reaches twice what the script needs.
    const bodies = { length: count, at: (i: number) => content ?? i.toFixed(0) };

    // A line per message, written in batches; on a terminal, a long run shows one progress
    // line instead (on stderr), so that a million lines do not scroll by.
    using out = bufferedLines(Deno.stdout);
    const progress = Deno.stdout.isTerminal() && count > 1000
      ? progressLine(Deno.stderr, "sent and confirmed", count)
      : undefined;

    // Ctrl+C or SIGTERM stops taking new messages; those already sent are confirmed first.
    using shutdown = onShutdownSignal({ onRepeat: () => (out.flush(), Deno.exit(130)) });
    const { signal } = shutdown;

    // The default exchange "" routes by queue name. Confirms are awaited in a window, so
    // "Sent" means the broker has the message, without a round trip per message.
    let noted = false;
    const report: PublishReport = { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
    await publishReliably(queue, bodies, {
      signal,
      report,
      window: 1000,
      url: flags.url,
      caFile: flags.ca,
      name: "producer.ts",
      // Whoever declares first makes the queue; one made by another program (Pika, the
      // official tutorials) is used as it is, with a line if it is weaker than ours.
      prepare: async (channel) => {
        const { note } = await declareQueue(channel, queue, declare);
        if (note && !noted) console.error(` [!] ${note}`);
        noted = true;
      },
      onConfirm: (body, i) => {
        if (progress) return progress.update(i + 1);
        out.line(file ? ` [x] Sent ${file} as message ${i}` : ` [x] Sent '${body}'`); // [x] Sent '7'
      },
      onBlocked: (reason) =>
        console.error(` [!] The broker blocks publishing (${reason}); waiting`),
      onUnblocked: () => console.error(" [*] The broker unblocked publishing"),
      // A quorum queue electing a new leader refuses messages for a moment: sent again.
      onNacked: (error, delay) =>
        console.error(
          ` [!] The broker refused message ${error.index} (basic.nack); sending again from it` +
            ` on a new channel in ${delay / 1000} s`,
        ),
      ...reconnectLines(console.error),
    }).catch((error) => {
      if (!signal.aborted) throw error; // stopped while reconnecting: nothing more to confirm
    });
    if (progress) {
      progress.done(report.confirmed);
      out.line(` [x] Sent ${report.confirmed} messages`); // [x] Sent 1000000 messages
    }
    if (signal.aborted) {
      out.line(` [*] Stopped: ${report.confirmed} of ${count} messages sent and confirmed`);
    }
    if (report.reconnects > 0 || report.nacked > 0) {
      out.line(
        ` [*] ${report.confirmed} confirmed; ${report.resent} sent again after ` +
          `${report.reconnects} reconnect(s) and ${report.nacked} refusal(s), so up to ` +
          `${report.resent} may be duplicates`,
      );
    }
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
