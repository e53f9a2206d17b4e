/**
 * The tutorial's queue, declared the same way by every script that touches it.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { BrokerError, isPreconditionFailed } from "./errors.ts";

/**
 * The queue where `queue`'s rejected messages are parked: `QUEUE.dead`, or `undefined` for a
 * queue that is itself such a parking queue (its name ends in `.dead`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { deadLetterQueue } from "./queue.ts";
 *
 * deepEqual(deadLetterQueue("hello"), "hello.dead");
 * deepEqual(deadLetterQueue("hello.dead"), undefined);
 * ```
 */
export function deadLetterQueue(queue: string): string | undefined {
  return queue.endsWith(".dead") ? undefined : `${queue}.dead`;
}

/**
 * Declares a durable, non-exclusive queue, as both producer.ts and consumer.ts do: declaring it
 * identically on both sides means either may start first. Messages rejected from it (basic.reject
 * or basic.nack without requeue) are dead-lettered through the default exchange to its parking
 * queue `QUEUE.dead` ({@linkcode deadLetterQueue}), which is declared too, so a poison message is
 * kept for inspection instead of being dropped or requeued forever.
 *
 * A queue that already exists with other settings closes the channel with 406
 * PRECONDITION_FAILED; that is thrown as a {@linkcode BrokerError} saying what to do. Resolves
 * to the number of ready messages.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connection.ts";
 * import { declareQueue } from "./queue.ts";
 *
 * const connection = await connect();
 * const ready = await declareQueue(await connection.channel(), "hello");
 * console.log(`${ready} messages waiting`);
 * await connection.close();
 * ```
 */
export async function declareQueue(channel: AMQPChannel, queue: string): Promise<number> {
  const parking = deadLetterQueue(queue);
  const args = parking
    ? { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": parking }
    : {};
  const flags = { durable: true, exclusive: false, autoDelete: false, passive: false };
  try {
    if (parking) await channel.queueDeclare(parking, flags, {});
    const ok = await channel.queueDeclare(queue, flags, args);
    return ok.messageCount;
  } catch (error) {
    if (isPreconditionFailed(error)) {
      const text = (error as Error).message;
      const name = text.match(/queue '([^']+)'/)?.[1] ?? queue;
      const detail = text.match(/inequivalent arg '[^']+'[^(]*/)?.[0]?.trim();
      throw new BrokerError(
        `Queue "${name}" already exists with other settings (406${detail ? `: ${detail}` : ""}).` +
          ` Delete it ("rabbitmqctl delete_queue ${name}") or use another --queue`,
        { cause: error },
      );
    }
    throw error;
  }
}
