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
import { BrokerError, integerFlag, parseCommandLine, reportFailure } from "../../lib/mod.ts";
import { printable, secondsFlag, UsageError, withChannel } from "../../lib/mod.ts";

const USAGE = `Usage: rpc_client.ts [--queue NAME] [--url URL] [--timeout SECS] N...

Asks an rpc_server.ts for fib(N) of each N (0..10000), all at once, and prints the answers.`;
const REPLY_TO = "amq.rabbitmq.reply-to"; // direct reply-to: no reply queue to declare

export async function main(args: string[]): Promise<number> {
  try {
    const { flags, positionals } = parseCommandLine(args, {
      queue: { type: "string", default: "rpc_queue" },
      url: { type: "string" },
      timeout: { type: "string", default: "5" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError("Missing N: rpc_client.ts 30");
    const numbers = positionals.map((n) => integerFlag("N", n, 0));
    const timeout = secondsFlag("timeout", flags.timeout);

    await withChannel(async (channel) => {
      // Answers arrive here, matched to their caller by correlation id.
      const waiting = new Map<string, (answer: AMQPMessage) => void>();
      await channel.basicConsume(
        REPLY_TO,
        { noAck: true, exclusive: false, tag: "", args: {} },
        (answer) => {
          waiting.get(answer.properties.correlationId ?? "")?.(answer);
        },
      );
      const call = async (n: number) => {
        const correlationId = crypto.randomUUID();
        const answer = new Promise<AMQPMessage>((resolve) => waiting.set(correlationId, resolve));
        console.log(` [x] Requesting fib(${n})`);
        await channel.basicPublish("", flags.queue, String(n), {
          replyTo: REPLY_TO,
          correlationId,
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() =>
            reject(
              new BrokerError(
                `No answer to fib(${n}) from "${flags.queue}" within ${
                  timeout / 1000
                } s: is rpc_server.ts running?`,
              ),
            ), timeout);
        });
        const reply = (await Promise.race([answer, late]).finally(() => clearTimeout(timer)))
          .bodyString();
        if (reply?.startsWith("error:")) {
          throw new BrokerError(`The server refused fib(${n}): ${printable(reply)}`);
        }
        console.log(` [.] Got fib(${n}) = ${printable(reply ?? "")}`); // [.] Got fib(30) = 832040
      };
      await Promise.all(numbers.map(call));
    }, { url: flags.url, name: "rpc_client.ts" });
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
