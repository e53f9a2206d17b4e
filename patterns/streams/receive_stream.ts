/**
 * # Streams: read a stream from any point
 *
 * Reads the stream `hello-stream` from `--offset` (default `first`: everything it holds) and
 * prints each message with its offset, until Ctrl+C. Reading takes nothing away: run it again,
 * or two at once, and each reads the whole log. A stream must be read with a prefetch and
 * manual acks; readStream() sees to both.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/streams/receive_stream.ts --offset first
 *
 * @module
 */

import { declareQueue, idleTimer, integerFlag, onShutdownSignal } from "../../lib/mod.ts";
import { parseFlags, parseStreamOffset, queueNameFlag, readStream } from "../../lib/mod.ts";
import { reconnectLines, reportFailure, secondsFlag, serve, showBody } from "../../lib/mod.ts";

const USAGE =
  `Usage: receive_stream.ts [--stream NAME] [--offset O] [--url URL] [--idle SECS] [--max N]

Prints the messages of a stream (default hello-stream) from an offset, until Ctrl+C.

  --offset O   first (default), last, next, an offset number, an ISO time
               (2026-11-28T12:00:00Z), or an interval back from now (1h, 30m, 7D)
  --idle SECS  stop after this long without a message
  --max N      stop after N messages
  --raw        print control characters as they are (default: as escapes, \\n, \\x1b)`;

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      stream: { type: "string", default: "hello-stream" },
      offset: { type: "string", default: "first" },
      url: { type: "string" },
      raw: { type: "boolean", default: false },
      idle: { type: "string" },
      max: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const stream = queueNameFlag("stream", flags.stream);
    let offset = parseStreamOffset(flags.offset);
    const idleMs = secondsFlag("idle", flags.idle);
    const max = integerFlag("max", flags.max);

    // Stop on Ctrl+C, after --idle seconds without a message, or after --max messages.
    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const idle = idleMs ? idleTimer(idleMs) : undefined;
    const done = new AbortController();
    const signal = AbortSignal.any([shutdown.signal, done.signal, idle?.signal ?? done.signal]);
    let read = 0;
    await serve(async (channel) => {
      await declareQueue(channel, stream, { type: "stream" });
      console.log(` [*] Reading '${stream}' from ${flags.offset}. To exit press CTRL+C`);
      await readStream(channel, stream, (message, at) => {
        idle?.reset();
        console.log(` [x] ${showBody(message.body, flags)} at offset ${at}`); // [x] 'Hello, World!' at offset 0
        if (at !== undefined) offset = at + 1; // after a reconnect, go on from the next one
        if (++read === max) done.abort();
      }, { offset, signal });
    }, {
      url: flags.url,
      name: "receive_stream.ts",
      signal,
      ...reconnectLines(console.error, idle),
    });
    idle?.clear();
    console.log(` [*] Done: ${read} messages`);
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
