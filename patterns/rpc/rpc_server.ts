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

import { printable, runMain } from "../../lib/mod.ts";
import { serveQueue } from "../_logs.ts";

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
      // One request at a time (prefetch 1) spreads them over the running servers; each is acked
      // once its answer is sent.
      await serveQueue(flags, {
        ready: () => out.line(" [x] Awaiting RPC requests"),
        // The answer goes to the caller's replyTo address, with its correlationId.
        message: async (request) => {
          const text = request.bodyString() ?? ""; // bytes that are not text: a bad request
          const valid = /^\d+$/.test(text) && Number(text) <= 10000;
          out.line(valid ? ` [.] fib(${text})` : ` [!] Bad request '${printable(text)}'`);
          const answer = valid ? `${fib(Number(text))}` : "error: expected a whole number 0..10000";
          const { replyTo, correlationId } = request.properties;
          if (replyTo) await request.channel.basicPublish("", replyTo, answer, { correlationId });
        },
      }, { name: "rpc_server.ts", stop });
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
