/**
 * # RPC: ask the server for fib(n)
 *
 * Sends each request to `rpc_queue` with a fresh `correlationId` (crypto.randomUUID()) and
 * RabbitMQ's direct reply-to address, then matches each answer to its request by that id. All
 * requests are in flight at once; if an answer does not come in time, it fails with one line.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" patterns/rpc/rpc_client.ts 30
 *
 * @module
 */

import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { BrokerError, brokerOptions, integerFlag, printable, runMain } from "../../lib/mod.ts";
import { secondsFlag, withChannel } from "../../lib/mod.ts";

const REPLY_TO = "amq.rabbitmq.reply-to"; // direct reply-to: no reply queue to declare

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: `Usage: rpc_client.ts [--queue NAME] [--url URL] [--timeout SECS] N...

Asks an rpc_server.ts for fib(N) of each N (0..10000), all at once, and prints the answers.`,
    flags: {
      queue: { type: "string", default: "rpc_queue" },
      url: { type: "string" },
      timeout: { type: "string", default: "5" },
    },
    positionals: { name: "N", required: "30" },
    async run({ flags, positionals, out }) {
      const numbers = positionals.map((n) => integerFlag("N", n, 0));
      const timeout = secondsFlag("timeout", flags.timeout);
      await withChannel(async (channel) => {
        // Answers arrive here, each handed to its caller by correlation id, and forgotten.
        const waiting = new Map<string, (answer: AMQPMessage) => void>();
        await channel.basicConsume(REPLY_TO, { noAck: true }, (answer) => {
          const id = answer.properties.correlationId ?? "";
          waiting.get(id)?.(answer);
          waiting.delete(id);
        });
        const call = async (n: number) => {
          const correlationId = crypto.randomUUID();
          const answer = Promise.withResolvers<AMQPMessage>();
          waiting.set(correlationId, answer.resolve);
          out.line(` [x] Requesting fib(${n})`);
          await channel.basicPublish("", flags.queue, `${n}`, { replyTo: REPLY_TO, correlationId });
          // No answer in time: fail with one line (and stop waiting for it).
          const timer = setTimeout(() => {
            waiting.delete(correlationId);
            const late = `No answer to fib(${n}) from "${flags.queue}" within ${timeout / 1000} s`;
            answer.reject(new BrokerError(`${late}: is rpc_server.ts running?`));
          }, timeout);
          const message = await answer.promise.finally(() => clearTimeout(timer));
          const reply = printable(message.bodyString() ?? "");
          if (reply.startsWith("error:")) {
            throw new BrokerError(`The server refused fib(${n}): ${reply}`);
          }
          out.line(` [.] Got fib(${n}) = ${reply}`); // [.] Got fib(30) = 832040
        };
        await Promise.all(numbers.map(call));
      }, brokerOptions(flags, "rpc_client.ts"));
    },
  }, args);

if (import.meta.main) Deno.exitCode = await main(Deno.args);
