/**
 * # Streams: append a message to a stream
 *
 * Declares the stream `hello-stream` (a durable queue with `x-queue-type: stream`: an
 * append-only log that keeps its messages after they are read) and publishes one message,
 * confirmed. Run it a few times, then read the log with receive_stream.ts from any offset.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/streams/send_stream.ts
 *
 * @module
 */

import { basicPublishConfirmed, declareQueue, parseCommandLine } from "../../lib/mod.ts";
import { queueNameFlag, reportFailure, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: send_stream.ts [--stream NAME] [--url URL] [MESSAGE...]

Appends MESSAGE (default "Hello, World!") to a stream (default hello-stream).`;

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      stream: { type: "string", default: "hello-stream" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const stream = queueNameFlag("stream", flags.stream);
    const message = positionals.join(" ") || "Hello, World!";

    await withChannel(async (channel) => {
      // A stream is declared like a queue; one that exists (a queue of another type) is said.
      const { note } = await declareQueue(channel, stream, { type: "stream" });
      if (note) console.error(` [!] ${note}`);
      // Confirmed: "Sent" means the message is in the log, on every replica's quorum.
      await basicPublishConfirmed(channel, stream, [message]);
    }, { url: flags.url, name: "send_stream.ts" });
    console.log(` [x] Sent '${message}'`); // [x] Sent 'Hello, World!'
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
