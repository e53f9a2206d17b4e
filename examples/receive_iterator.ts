/**
 * # Receive with an async iterator: for await, with an inactivity timeout
 *
 * The article's third style (channel.consume(inactivity_timeout=5)): a loop over deliveries
 * that also yields null when nothing came for 5 s. Auto-ack: the broker forgets each message
 * as it sends it, which is fastest, but a crash loses what was sent and not yet handled.
 * Ctrl+C ends the loop and exits 0. consumer.ts --style iterator is the full tool.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" examples/receive_iterator.ts
 *
 * @module
 */

import { connect, declareQueue, iterateMessages, onShutdownSignal } from "../lib/mod.ts";
import { reportFailure } from "../lib/mod.ts";

async function main() {
  using stop = onShutdownSignal();
  const connection = await connect({ name: "examples/receive_iterator.ts" });
  const channel = await connection.channel();
  await declareQueue(channel, "hello");
  console.log(" [*] Waiting for messages. To exit press CTRL+C");

  // noAck: true is Pika's auto_ack=True; the signal ends the loop like Pika's channel.cancel().
  const options = { noAck: true, inactivityTimeout: 5000, signal: stop.signal };
  for await (const message of iterateMessages(channel, "hello", options)) {
    if (message === null) {
      console.log(" [.] No message for 5 s"); // the loop goes on waiting
      continue;
    }
    console.log(` [x] Received '${message.bodyString()}'`); // [x] Received 'Hello World!'
  }

  await connection.close();
  console.log(" [*] Done"); // [*] Done
}

await main().catch((error) => Deno.exitCode = reportFailure(error, console.error));
