/**
 * # Receive by push: basic.consume with a callback, until Ctrl+C
 *
 * The article's second style (basic_consume + start_consuming). A message the work fails on is
 * requeued once (nack) and parked in hello.dead if it fails again. Ctrl+C finishes the message
 * in hand and exits 0. consumer.ts is the full tool.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" examples/receive_callback.ts
 *
 * @module
 */

import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { bodyText, connect, declareQueue, onShutdownSignal } from "../lib/mod.ts";
import { parkMessage, reportFailure } from "../lib/mod.ts";

async function handle(message: AMQPMessage) {
  try {
    console.log(` [x] Received '${bodyText(message.body)}'`); // throws if the body is not UTF-8
    await message.ack(); // after the work, so a crash mid-work loses nothing
  } catch (error) {
    // First failure: nack with requeue, for one more try. Second: set it aside in hello.dead.
    const reason = (error as Error).message;
    if (!message.redelivered) await message.nack(true);
    else await parkMessage(message, { from: "hello", queue: "hello.dead", reason });
    console.error(` [!] ${reason}: ${message.redelivered ? "parked in 'hello.dead'" : "requeued"}`);
  }
}

async function main() {
  using stop = onShutdownSignal();
  const connection = await connect({ name: "examples/receive_callback.ts" });
  const channel = await connection.channel();
  await declareQueue(channel, "hello");
  await channel.basicQos(1); // the next message comes only once this one is acked
  console.log(" [*] Waiting for messages. To exit press CTRL+C");
  let inHand = Promise.resolve();
  const consumer = await channel.basicConsume("hello", { noAck: false }, (message) => {
    inHand = handle(message);
  });

  // Ctrl+C: basic.cancel (no more deliveries), finish the message in hand, close.
  await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
  await consumer.cancel();
  await inHand;
  await connection.close();
  console.log(" [*] Done"); // [*] Done
}

await main().catch((error) => Deno.exitCode = reportFailure(error, console.error));
