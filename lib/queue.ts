/**
 * The tutorial's queue, declared the same way by every script that touches it.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { BrokerError } from "./errors.ts";

/**
 * Declares a durable, non-exclusive queue, as both producer.ts and consumer.ts do: declaring it
 * identically on both sides means either may start first. A queue that already exists with
 * other settings closes the channel with 406 PRECONDITION_FAILED; that is thrown as a
 * {@linkcode BrokerError} saying what to do. Resolves to the number of ready messages.
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
  try {
    const ok = await channel.queueDeclare(queue, {
      durable: true,
      exclusive: false,
      autoDelete: false,
      passive: false,
    });
    return ok.messageCount;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/PRECONDITION_FAILED|\(406\)/.test(text)) {
      const detail = text.match(/inequivalent arg '[^']+'[^(]*/)?.[0]?.trim();
      throw new BrokerError(
        `Queue "${queue}" already exists with other settings (406${detail ? `: ${detail}` : ""}).` +
          ` Delete it ("rabbitmqctl delete_queue ${queue}") or use another --queue`,
        { cause: error },
      );
    }
    throw error;
  }
}
