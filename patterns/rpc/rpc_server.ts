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

import { bodyText, declareQueue, forEachMessage, onShutdownSignal } from "../../lib/mod.ts";
import { parseFlags, queueNameFlag, queueTypeFlags } from "../../lib/mod.ts";
import { printable, reconnectLines, reportFailure, serve } from "../../lib/mod.ts";

const USAGE = `Usage: rpc_server.ts [--queue NAME] [--queue-type T] [--url URL]

Answers fib(n) requests from a queue (created as --queue-type, default quorum, if it does not
exist) until Ctrl+C.`;

/** fib(n), exactly, for 0 <= n <= 10000. */
export function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      queue: { type: "string", default: "rpc_queue" },
      "queue-type": { type: "string", default: "quorum" },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }

    const queue = queueNameFlag("queue", flags.queue);
    const declare = queueTypeFlags(flags["queue-type"], false);

    using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
    const { signal } = shutdown;
    await serve(async (channel) => {
      // Shared with other servers, ours or the official tutorials': used as it is if it exists.
      const { note } = await declareQueue(channel, queue, declare);
      if (note) console.error(` [!] ${note}`);
      await channel.basicQos(1, 0, false); // spread requests over the running servers
      console.log(" [x] Awaiting RPC requests");
      await forEachMessage(channel, queue, async (request) => {
        const { replyTo, correlationId } = request.properties;
        let text = "";
        try {
          text = bodyText(request.body);
        } catch {
          // not text: answered as a bad request below
        }
        const n = Number(text);
        const valid = /^\d+$/.test(text) && n <= 10000;
        console.log(valid ? ` [.] fib(${n})` : ` [!] Bad request '${printable(text)}'`);
        const answer = valid ? String(fib(n)) : `error: expected a whole number 0..10000`;
        if (replyTo) await channel.basicPublish("", replyTo, answer, { correlationId });
        await request.ack(false);
      }, { noAck: false, signal });
    }, { url: flags.url, name: "rpc_server.ts", signal, ...reconnectLines(console.error) });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
