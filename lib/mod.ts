/**
 * The small reusable parts behind producer.ts and consumer.ts: a connection helper on Deno's own
 * sockets, the tutorial's queue declaration, confirmed publishing, Pika's three consume styles,
 * and the command-line plumbing (flags, shutdown, exit codes).
 *
 * @example
 * ```ts ignore
 * import { basicConsume, connect, declareQueue } from "./mod.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await declareQueue(channel, "hello");
 * await channel.basicQos(1);
 * await basicConsume(channel, "hello", async (message) => {
 *   console.log(message.bodyString());
 *   await message.ack();
 * }, { noAck: false, signal: AbortSignal.timeout(5000) });
 * await connection.close();
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./connection.ts";
export * from "./queue.ts";
export * from "./body.ts";
export * from "./publish.ts";
export * from "./consume.ts";
export * from "./reconnect.ts";
export * from "./service.ts";
export * from "./exchange.ts";
export * from "./cli.ts";
