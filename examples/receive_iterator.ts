/**
 * # Receive with an async iterator: for await, with an inactivity timeout
 *
 * Pika's channel.consume(inactivity_timeout=5) as a for await loop: a null after 5 quiet seconds.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL examples/receive_iterator.ts
 */

import { AMQPClient, type AMQPMessage } from "npm:@cloudamqp/amqp-client@4.1.1";

// Any failure: one line on stderr, exit 1. A bad URL's error quotes it: mask the password.
addEventListener("unhandledrejection", ({ reason }) => {
  console.error(` [!] ${reason?.message ?? reason}`.replace(/(\/\/[^:/@\s]*:).*@/, "$1****@"));
  Deno.exit(1);
});
// Control characters as \u{…} escapes, so a message body cannot drive the terminal.
const printable = (text: string) =>
  text.replace(/[\p{Cc}\p{Bidi_C}]/gu, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
async function* consume(messages: AsyncIterator<AMQPMessage>, ms: number) { // Pika's None: null after `ms` quiet
  for (let next = messages.next();;) {
    const quiet = Promise.withResolvers<null>(), timer = setTimeout(() => quiet.resolve(null), ms);
    const result = await Promise.race([next, quiet.promise]).finally(() => clearTimeout(timer));
    if (result?.done) return; // the consumer was cancelled
    if (result) next = messages.next(); // after a null, the same `next` is awaited on
    yield result?.value ?? null;
  }
}

const connection = new AMQPClient(Deno.env.get("AMQP_URL") || "amqp://guest:guest@127.0.0.1:5672");
await connection.connect();
let channel = await connection.channel();
// Durable and quorum, as the tutorials make it; one made otherwise (406) is used as it is.
await channel.queueDeclare("hello", { durable: true }, { "x-queue-type": "quorum" }).catch(
  async () => (channel = await connection.channel()).queueDeclare("hello", { passive: true }),
);
await channel.basicQos(1); // one unacked message at a time
const consumer = await channel.basicConsume("hello", { noAck: false }); // no callback: a generator
Deno.addSignalListener("SIGINT", () => consumer.cancel()); // Ctrl+C: basic.cancel ends the loop
console.log(" [*] Waiting for messages. To exit press CTRL+C");
for await (const message of consume(consumer.messages, 5000)) {
  if (!message) console.log(" [.] No message for 5 s, still waiting"); // [.] No message for 5 s, still waiting
  else console.log(` [x] Received '${printable(message.bodyString() ?? "")}'`); // [x] Received 'Hello World!'
  await message?.ack(false); // after the work, so a crash mid-work loses nothing
}
await connection.close().then(() => Deno.exit(0)); // exit now: a 2nd Ctrl+C in Deno's teardown is 130
