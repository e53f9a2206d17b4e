/**
 * # Receive by pulling: basic.get until the queue is empty
 *
 * The article's first consume style (channel.basic_get): ask for one message, handle it, ack
 * it, ask again; stop when the broker says the queue is empty. Ctrl+C stops after the message
 * in hand. consumer.ts --style get is the full tool.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" examples/receive_get.ts
 *
 * @module
 */

import { connect, declareQueue, onShutdownSignal, reportFailure } from "../lib/mod.ts";

async function main() {
  using stop = onShutdownSignal(); // Ctrl+C: finish the message in hand, then leave
  const connection = await connect({ name: "examples/receive_get.ts" });
  const channel = await connection.channel();
  await declareQueue(channel, "hello");

  // noAck: false — the broker keeps each message until we ack it, so none is lost if we die.
  let message;
  while (!stop.signal.aborted && (message = await channel.basicGet("hello", { noAck: false }))) {
    console.log(` [x] Received '${message.bodyString()}'`); // [x] Received 'Hello World!'
    // Ack only after the work: until now the broker could still give it to someone else.
    await message.ack();
  }
  // basicGet gives null when nothing is ready (basic.get-empty): the queue is drained.
  console.log(stop.signal.aborted ? " [*] Stopped" : " [*] No more messages"); // [*] No more messages

  await connection.close();
}

await main().catch((error) => Deno.exitCode = reportFailure(error, console.error));
