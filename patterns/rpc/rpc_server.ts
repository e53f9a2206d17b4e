/**
 * # RPC: a Fibonacci server
 *
 * Takes requests from `rpc_queue` one at a time, computes fib(n), and publishes the answer to
 * the request's `replyTo` address with the request's `correlationId`, so the caller can match
 * it. Run several servers to share the load.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/rpc/rpc_server.ts
 *
 * @module
 */

import { brokerOptions, printable, queueNameFlag, queueTypeFlags } from "../../lib/mod.ts";
import { reconnectLines, runConsumer, runMain } from "../../lib/mod.ts";

/** fib(n), exactly, for 0 <= n <= 10000. */
export function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: rpc_server.ts [--queue NAME] [--queue-type T] [--url URL]

Answers fib(n) requests from an RPC queue (created as --queue-type, default quorum, if it does not
exist) until Ctrl+C.`,
    flags: {
      queue: { type: "string", default: "rpc_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
    },
    async run({ flags, stop, out }) {
      await runConsumer({
        queue: queueNameFlag("queue", flags.queue),
        declare: queueTypeFlags(flags["queue-type"], false), // shared with other servers: as found
        style: "callback",
        noAck: false,
        prefetch: 1, // spread requests over the running servers
        connect: brokerOptions(flags, "rpc_server.ts"),
        stop,
        on: {
          declared: ({ note }) => {
            if (note) console.error(` [!] ${note}`);
            out.line(" [x] Awaiting RPC requests");
          },
          // The answer goes to the caller's replyTo address, with its correlationId.
          message: async (request) => {
            const text = request.bodyString() ?? ""; // bytes that are not text: a bad request
            const valid = /^\d+$/.test(text) && Number(text) <= 10000;
            out.line(valid ? ` [.] fib(${text})` : ` [!] Bad request '${printable(text)}'`);
            const answer = valid
              ? `${fib(Number(text))}`
              : "error: expected a whole number 0..10000";
            const { replyTo, correlationId } = request.properties;
            if (replyTo) await request.channel.basicPublish("", replyTo, answer, { correlationId });
          },
          ...reconnectLines(console.error),
        },
      });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
