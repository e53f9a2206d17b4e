/**
 * # Connect: one connection, many channels
 *
 * The tutorial's first step (pika.BlockingConnection, then connection.channel()). A connection is
 * a TCP socket with a login: costly, so a program opens one. A channel is a numbered
 * conversation inside it: cheap, so each task (publishing, consuming) gets its own.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL examples/connect.ts
 */

import { AMQPClient } from "npm:@cloudamqp/amqp-client@4.1.1";

// The password (from `//user:` to the last `@`) never reaches the output.
const mask = (text: string) => text.replace(/(\/\/[^:/@\s]*:).*@/, "$1****@");
// Any failure: one line on stderr, exit 1. A bad URL's error quotes the URL: mask it too.
addEventListener("unhandledrejection", ({ reason }) => {
  console.error(mask(` [!] ${reason?.message ?? reason}`));
  Deno.exit(1);
});

// One broker URL, as Pika's URLParameters takes it.
const url = Deno.env.get("AMQP_URL") || "amqp://guest:guest@127.0.0.1:5672";
const connection = new AMQPClient(url);
// Heartbeats every 60 s, as Pika proposes, so a dead peer is noticed; this library's default is 0.
connection.heartbeat = 60;
await connection.connect();
console.log(` [*] Connected to ${mask(url)}`); // [*] Connected to amqp://guest:****@127.0.0.1:5672

// Opening a channel is one round trip on the socket that is already there.
const publishing = await connection.channel();
const consuming = await connection.channel();
console.log(` [*] Channels ${publishing.id} and ${consuming.id}, one connection`); // [*] Channels 1 and 2, one connection

// Closing the connection closes its channels with it.
await connection.close();
console.log(" [*] Closed"); // [*] Closed
