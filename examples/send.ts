/**
 * # Send: "Hello World!" to the queue hello
 *
 * The article's producer, one message: declare the queue, publish through the default
 * exchange, close. producer.ts is the full tool (a count, reconnects, Ctrl+C).
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" examples/send.ts
 *
 * @module
 */

import { connect, declareQueue, reportFailure } from "../lib/mod.ts";

async function main() {
  const connection = await connect({ name: "examples/send.ts" });
  const channel = await connection.channel();

  // Whoever declares first creates the queue (durable, quorum, as the official tutorials do);
  // a queue someone else made is used as it is, and `note` says if it is weaker.
  const queue = await declareQueue(channel, "hello");
  if (queue.note) console.error(` [!] ${queue.note}`);

  // Confirm mode: the broker answers each publish, so "Sent" means it has the message.
  await channel.confirmSelect();
  // Exchange "" routes by queue name; deliveryMode 2 writes the message to disk.
  await channel.basicPublish("", "hello", "Hello World!", { deliveryMode: 2 });
  console.log(" [x] Sent 'Hello World!'"); // [x] Sent 'Hello World!'

  await connection.close();
}

await main().catch((error) => Deno.exitCode = reportFailure(error, console.error));
