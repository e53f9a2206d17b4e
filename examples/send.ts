/**
 * # Send: "Hello World!" to the queue hello
 *
 * The tutorial's send.py: connect, declare the queue, publish one message through the default
 * exchange, close. producer.ts is the full tool (a count, reconnects, Ctrl+C).
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL examples/send.ts
 */

import { AMQPClient } from "npm:@cloudamqp/amqp-client@4.1.1";

// Any failure: one line on stderr, exit 1. A bad URL's error quotes it: mask the password.
addEventListener("unhandledrejection", ({ reason }) => {
  console.error(` [!] ${reason?.message ?? reason}`.replace(/(\/\/[^:/@\s]*:).*@/, "$1****@"));
  Deno.exit(1);
});

const connection = new AMQPClient(Deno.env.get("AMQP_URL") || "amqp://guest:guest@127.0.0.1:5672");
await connection.connect();
let channel = await connection.channel();

// Whoever declares first creates the queue: durable and quorum, as the official tutorials do.
// If it exists with other settings, the refusal (406) closes the channel: use it as it is.
await channel.queueDeclare("hello", { durable: true }, { "x-queue-type": "quorum" }).catch(
  async () => (channel = await connection.channel()).queueDeclare("hello", { passive: true }),
);

// Confirm mode: the broker answers each publish, so "Sent" means it has the message.
await channel.confirmSelect();
// Exchange "" routes by queue name; deliveryMode 2 writes the message to disk.
await channel.basicPublish("", "hello", "Hello World!", { deliveryMode: 2 });
console.log(" [x] Sent 'Hello World!'"); // [x] Sent 'Hello World!'

await connection.close();
