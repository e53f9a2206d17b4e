/**
 * The small reusable parts behind producer.ts and consumer.ts: a connection helper on Deno's own
 * sockets, a queue declaration that shares queues with other clients, parking of poison
 * messages, confirmed publishing, Pika's three consume styles, and the command-line plumbing
 * (flags, environment, files, shutdown, exit codes).
 *
 * @example
 * ```ts ignore
 * import { connect, declareQueue, forEachMessage } from "./mod.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await declareQueue(channel, "hello");
 * await channel.basicQos(1);
 * await forEachMessage(channel, "hello", async (message) => {
 *   console.log(message.bodyString());
 *   await message.ack();
 * }, { noAck: false, signal: AbortSignal.timeout(5000) });
 * await connection.close();
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./env.ts";
export * from "./files.ts";
export * from "./flags.ts";
export * from "./shutdown.ts";
export * from "./connection.ts";
export * from "./queue.ts";
export * from "./parking.ts";
export * from "./body.ts";
export * from "./output.ts";
export * from "./publish.ts";
export * from "./consume.ts";
export * from "./stream.ts";
export * from "./reconnect.ts";
export * from "./service.ts";
export * from "./exchange.ts";
