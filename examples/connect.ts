/**
 * # Connect: one connection, many channels
 *
 * The article's first step (pika.BlockingConnection, then connection.channel()). A connection is
 * a TCP socket with a login and heartbeats: costly, so a program opens one. A channel is a
 * numbered conversation inside it: cheap, so each task (publishing, consuming) gets its own.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" examples/connect.ts
 *
 * @module
 */

import { connect, maskUrl, reportFailure, resolveUrl } from "../lib/mod.ts";

async function main() {
  // AMQP_URL, else amqp://guest:guest@127.0.0.1:5672; the password never reaches the output.
  const url = resolveUrl();
  const connection = await connect({ url, name: "examples/connect.ts" });
  console.log(` [*] Connected to ${maskUrl(url)}`); // [*] Connected to amqp://guest:****@127.0.0.1:5672

  // Opening a channel is one round trip on the socket that is already there.
  const publishing = await connection.channel();
  const consuming = await connection.channel();
  console.log(` [*] Channels ${publishing.id} and ${consuming.id}, one connection`); // [*] Channels 1 and 2, one connection

  // Closing the connection closes its channels with it.
  await connection.close();
  console.log(" [*] Closed"); // [*] Closed
}

await main().catch((error) => Deno.exitCode = reportFailure(error, console.error));
