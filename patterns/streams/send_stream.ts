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

import { brokerOptions, declareQueue, queueNameFlag, runMain, sendOne } from "../../lib/mod.ts";

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: send_stream.ts [--stream NAME] [--url URL] [MESSAGE...]

Appends MESSAGE (default "Hello, World!") to a stream (default hello-stream).`,
    flags: { stream: { type: "string", default: "hello-stream" }, url: { type: "string" } },
    positionals: { name: "MESSAGE" },
    async run({ flags, positionals, out }) {
      const stream = queueNameFlag("stream", flags.stream);
      const message = positionals.join(" ") || "Hello, World!";
      // A stream is declared like a queue (one that exists as a queue of another type is said).
      // Confirmed: "Sent" means the message is in the log, on a quorum of its replicas.
      await sendOne(stream, message, {
        connect: brokerOptions(flags, "send_stream.ts"),
        prepare: async (channel) => {
          const { note } = await declareQueue(channel, stream, { type: "stream" });
          if (note) console.error(` [!] ${note}`);
        },
      });
      out.line(` [x] Sent '${message}'`); // [x] Sent 'Hello, World!'
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
