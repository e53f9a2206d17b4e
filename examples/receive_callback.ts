/**
 * # Receive by push: basic.consume with a callback, until Ctrl+C
 *
 * The tutorial's receive.py (basic_consume, then start_consuming): the broker pushes messages to
 * a callback, one at a time. Ctrl+C cancels the consumer, lets the message in hand finish,
 * closes and exits 0. consumer.ts is the full tool.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL examples/receive_callback.ts
 */

import { AMQPClient } from "npm:@cloudamqp/amqp-client@4.1.1";

// Any failure: one line on stderr, exit 1. A bad URL's error quotes it: mask the password.
addEventListener("unhandledrejection", ({ reason }) => {
  console.error(` [!] ${reason?.message ?? reason}`.replace(/(\/\/[^:/@\s]*:).*@/, "$1****@"));
  Deno.exit(1);
});
// Control characters as \u{…} escapes, so a message body cannot drive the terminal.
const printable = (text: string) =>
  text.replace(/[\p{Cc}\p{Bidi_C}]/gu, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);

const connection = new AMQPClient(Deno.env.get("AMQP_URL") || "amqp://guest:guest@127.0.0.1:5672");
await connection.connect();
let channel = await connection.channel();
// Durable and quorum, as the tutorials make it; one made otherwise (406) is used as it is.
await channel.queueDeclare("hello", { durable: true }, { "x-queue-type": "quorum" }).catch(
  async () => (channel = await connection.channel()).queueDeclare("hello", { passive: true }),
);
await channel.basicQos(1); // the next message comes only once this one is acked

// noAck: false (the library's default is true): the broker keeps each message until acked.
let inHand = Promise.resolve();
const consumer = await channel.basicConsume("hello", { noAck: false }, (message) => {
  console.log(` [x] Received '${printable(message.bodyString() ?? "")}'`); // [x] Received 'Hello World!'
  inHand = message.ack(false); // after the work, so a crash mid-work loses nothing
});
const stop = new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
console.log(" [*] Waiting for messages. To exit press CTRL+C");

// Until Ctrl+C; consumer.wait() rejects if the broker or the network ends the consumer.
await Promise.race([consumer.wait(), stop]);
await consumer.cancel(); // basic.cancel: no more deliveries
await inHand; // the message in hand is acked before the connection closes
await connection.close().then(() => Deno.exit(0)); // exit now: a 2nd Ctrl+C in Deno's teardown is 130
