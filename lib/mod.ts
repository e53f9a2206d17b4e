/**
 * What producer.ts, consumer.ts, the patterns and the tools are built from, in three layers
 * that import only downward:
 *
 * - `transport/`: AMQP 0-9-1 on Deno's own sockets under the client library's protocol code,
 *   the frame codec, and the one file that touches the client's private fields;
 * - `amqp/`: connecting (one broker or a cluster's list), queues shared with other clients,
 *   exchanges, publishing with confirms, Pika's three consume styles, streams, reconnects,
 *   parking poison messages, and errors that carry their data;
 * - `cli/`: flags, the environment, files, output, shutdown, exit codes, and the `runMain`
 *   frame every script runs in.
 *
 * The two lower layers never print and never import `cli/`.
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
 * }, { noAck: false, stop: AbortSignal.timeout(5000) });
 * await connection.close();
 * ```
 *
 * @module
 */

export * from "./amqp/errors.ts";
export { brokerAddresses, brokerUrls, DEFAULT_URL, maskUrl } from "./amqp/urls.ts";
export {
  connect,
  connectedTo,
  type ConnectOptions,
  type Logger,
  withChannel,
} from "./amqp/connect.ts";
export * from "./amqp/queues.ts";
export * from "./amqp/exchanges.ts";
export * from "./amqp/bodies.ts";
export * from "./amqp/files.ts";
export * from "./amqp/parking.ts";
export * from "./amqp/publish.ts";
export * from "./amqp/consume.ts";
export * from "./amqp/streams.ts";
export * from "./amqp/reconnect.ts";
export * from "./amqp/consumer.ts";

export * from "./cli/exit.ts";
export * from "./cli/env.ts";
export * from "./cli/flags.ts";
export * from "./cli/shutdown.ts";
export * from "./cli/output.ts";
export * from "./cli/text.ts";
export * from "./cli/main.ts";
