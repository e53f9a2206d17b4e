/**
 * Parking a message that cannot be processed (a poison message) in a queue of its own,
 * `QUEUE.dead`, so that it is neither lost nor redelivered forever, and without any settings
 * on the shared queue itself.
 *
 * @module
 */

import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { declareQueue, type DeclareQueueOptions } from "./queues.ts";

/**
 * The queue where `queue`'s poison messages are parked: `QUEUE.dead`, or `undefined` for a
 * queue that is itself such a parking queue (its name ends in `.dead`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parkingQueue } from "./parking.ts";
 *
 * deepEqual(parkingQueue("hello"), "hello.dead");
 * deepEqual(parkingQueue("hello.dead"), undefined);
 * ```
 */
export function parkingQueue(queue: string): string | undefined {
  return queue.endsWith(".dead") ? undefined : `${queue}.dead`;
}

/**
 * Options for {@linkcode parkMessage}.
 *
 * @example
 * ```ts
 * import type { ParkOptions } from "./parking.ts";
 *
 * const options: ParkOptions = { from: "hello", queue: "hello.dead", reason: "Not UTF-8" };
 * ```
 */
export interface ParkOptions {
  /** The queue the message was taken from, kept in the `x-parked-from` header. */
  from: string;
  /** The parking queue, declared (shared, as {@linkcode declareQueue} does) if need be. */
  queue: string;
  /** Why, kept in the parked copy's `x-parked-reason` header. */
  reason: string;
  /** How to create the parking queue if it does not exist. Default: a quorum queue. */
  declare?: DeclareQueueOptions;
}

/**
 * Moves a message, received with manual ack, to a parking queue: publishes a copy (same body
 * and properties, plus the headers `x-parked-reason` and `x-parked-from`) on a channel in
 * confirm mode, waits for the broker's confirm, and only then acks the original. If anything
 * fails on the way the original stays unacked, so the broker still holds it: it is never lost,
 * at worst parked twice.
 *
 * This does what a queue's `x-dead-letter-exchange` argument would, but needs no argument on
 * the queue, so the queue can be shared with clients that declare it without one.
 *
 * @example
 * ```ts ignore
 * await parkMessage(message, { from: "hello", queue: "hello.dead", reason: "Not UTF-8" });
 * ```
 */
export async function parkMessage(message: AMQPMessage, options: ParkOptions): Promise<void> {
  const { from, queue, reason } = options;
  const channel = await message.channel.connection.channel();
  try {
    await declareQueue(channel, queue, options.declare);
    await channel.confirmSelect();
    const headers = {
      ...message.properties.headers,
      "x-parked-reason": reason,
      "x-parked-from": from,
    };
    await channel.basicPublish("", queue, message.body, { ...message.properties, headers });
  } finally {
    await channel.close().catch(() => {});
  }
  await message.ack(false);
}
