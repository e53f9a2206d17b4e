/**
 * # Receive by pulling: basic.get until the queue is empty
 *
 * The tutorial's first consume style (channel.basic_get): ask for one message, print it, ack
 * it, ask again; stop when the broker says the queue is empty, and exit 0.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL examples/receive_get.ts
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

// noAck: false (the library's default is true): the broker keeps each message until acked.
// basicGet gives null once nothing is ready (basic.get-empty): the queue is drained.
let message;
while ((message = await channel.basicGet("hello", { noAck: false }))) {
  console.log(` [x] Received '${printable(message.bodyString() ?? "")}'`); // [x] Received 'Hello World!'
  await message.ack(false); // after the work, so a crash mid-work loses nothing
}
console.log(" [*] No more messages"); // [*] No more messages
await connection.close();
