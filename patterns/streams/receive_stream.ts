/**
 * # Streams: read a stream from any point
 *
 * Reads the stream `hello-stream` from `--offset` (default `first`: everything it holds) and
 * prints each message with its offset, until Ctrl+C. Reading takes nothing away: run it again,
 * or two at once, and each reads the whole log. A stream must be read with a prefetch and
 * manual acks; the options below set both.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/streams/receive_stream.ts --offset first
 *
 * @module
 */

import { brokerOptions, idleTimer, integerFlag, queueNameFlag } from "../../lib/mod.ts";
import { reconnectLines, runConsumer, runMain, secondsFlag } from "../../lib/mod.ts";
import { showBody, streamOffsetFlag } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage:
      `Usage: receive_stream.ts [--stream NAME] [--offset O] [--url URL] [--idle SECS] [--max N]

Prints the messages of a stream (default hello-stream) from an offset, until Ctrl+C.

  --offset O   first (default), last, next, an offset number, an ISO time
               (2026-11-28T12:00:00Z), or an interval back from now (1h, 30m, 7D)
  --idle SECS  stop after this long without a message
  --max N      stop after N messages
  --raw        print control characters as they are (default: as escapes, \\n, \\x1b)`,
    flags: {
      stream: { type: "string", default: "hello-stream" },
      offset: { type: "string", default: "first" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
      idle: { type: "string" },
      max: { type: "string" },
    },
    async run({ flags, stop, out }) {
      const stream = queueNameFlag("stream", flags.stream);
      // Stop on Ctrl+C, after --idle seconds without a message, or after --max messages.
      const idleMs = secondsFlag("idle", flags.idle);
      const idle = idleMs ? idleTimer(idleMs) : undefined;
      const read = await runConsumer({
        queue: stream,
        declare: { type: "stream" },
        style: "callback",
        noAck: false, // a stream is read with acks: they let the broker send more
        prefetch: 100, // and needs a prefetch
        offset: streamOffsetFlag("offset", flags.offset), // after a reconnect: from the next one
        max: integerFlag("max", flags.max),
        connect: brokerOptions(flags, "receive_stream.ts"),
        stop: idle ? AbortSignal.any([stop, idle.signal]) : stop,
        on: {
          declared: () => {
            idle?.reset(); // connected: the --idle clock starts
            out.line(` [*] Reading '${stream}' from ${flags.offset}. To exit press CTRL+C`);
          },
          message: (message, at) => {
            idle?.reset();
            out.line(` [x] ${showBody(message.body, flags)} at offset ${at}`); // [x] 'Hello, World!' at offset 0
          },
          ...reconnectLines(console.error, idle),
        },
      }).finally(() => idle?.clear());
      out.line(` [*] Done: ${read} messages`);
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
