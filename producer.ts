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

import {
  brokerOptions,
  declareQueue,
  integerFlag,
  progressLine,
  publishReliably,
} from "./lib/mod.ts";
import {
  queueNameFlag,
  queueTypeFlags,
  readInputFile,
  reconnectLines,
  runMain,
} from "./lib/mod.ts";
import type { PublishReport } from "./lib/mod.ts";

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
  --rate N          send at most N messages a second, as a steady source does
                    (default: as fast as the broker confirms)
  --help            show this text`;

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: USAGE,
    flags: {
      count: { type: "string", default: "100" },
      queue: { type: "string", default: "hello" },
      "queue-type": { type: "string", default: "quorum" },
      transient: { type: "boolean", default: false },
      url: { type: "string" },
      ca: { type: "string" },
      "body-file": { type: "string" },
      rate: { type: "string" },
    },
    async run({ flags, stop, out }) {
      const count = integerFlag("count", flags.count, 0);
      const queue = queueNameFlag("queue", flags.queue);
      const declare = queueTypeFlags(flags["queue-type"], flags.transient);
      const rate = integerFlag("rate", flags.rate);
      const file = flags["body-file"];
      // Made as they are sent, so that a million messages do not sit in memory at once.
      const content = file ? await readInputFile("--body-file", file) : undefined;
      // i.toFixed(0), not String(i): V8 keeps the last ~8,000 strings String() made from
      // numbers alive in a cache, and a stream of them, surviving each minor GC, makes V8 grow
      // its young generation until memory reaches twice what the script needs.
      const bodies = { length: count, at: (i: number) => content ?? i.toFixed(0) };

      // On a terminal, a long run shows one progress line (on stderr) instead of a million.
      const progress = Deno.stdout.isTerminal() && count > 1000
        ? progressLine(Deno.stderr, "sent and confirmed", count)
        : undefined;

      // The default exchange "" routes by queue name. Confirms are awaited in a window, so
      // "Sent" means the broker has the message, without a round trip per message. Ctrl+C
      // (stop) takes no new message; those already sent are confirmed first.
      let noted = false;
      const report: PublishReport = { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
      await publishReliably(queue, bodies, {
        connect: brokerOptions(flags, "producer.ts"),
        window: 1000,
        rate,
        stop,
        report,
        // Whoever declares first makes the queue; one made by another program (Pika, the
        // official tutorials) is used as it is, with a line if it is weaker than ours.
        prepare: async (channel) => {
          const { note } = await declareQueue(channel, queue, declare);
          if (note && !noted) console.error(` [!] ${note}`);
          noted = true;
        },
        on: {
          confirm: (body, i) => {
            if (progress) return progress.update(i + 1);
            out.line(file ? ` [x] Sent ${file} as message ${i}` : ` [x] Sent '${body}'`); // [x] Sent '7'
          },
          blocked: (reason) =>
            console.error(` [!] The broker blocks publishing (${reason}); waiting`),
          unblocked: () => console.error(" [*] The broker unblocked publishing"),
          // A quorum queue electing a new leader refuses messages for a moment: sent again.
          nacked: (error, delay) =>
            console.error(
              ` [!] The broker refused message ${error.index} (basic.nack); sending again from` +
                ` it on a new channel in ${delay / 1000} s`,
            ),
          ...reconnectLines(console.error),
        },
      });
      if (progress) {
        progress.done(report.confirmed);
        out.line(` [x] Sent ${report.confirmed} messages`); // [x] Sent 1000000 messages
      }
      if (stop.aborted) {
        out.line(` [*] Stopped: ${report.confirmed} of ${count} messages sent and confirmed`);
      }
      if (report.reconnects > 0 || report.nacked > 0) {
        out.line(
          ` [*] ${report.confirmed} confirmed; ${report.resent} sent again after ` +
            `${report.reconnects} reconnect(s) and ${report.nacked} refusal(s), so up to ` +
            `${report.resent} may be duplicates`,
        );
      }
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
