/**
 * Publishing with publisher confirms, many in flight at once.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPProperties } from "@cloudamqp/amqp-client/amqp-properties";
import { BrokerError } from "./errors.ts";

/**
 * Properties that make a message survive a broker restart (delivery mode 2), given the queue is
 * durable too.
 *
 * @example
 * ```ts ignore
 * await channel.basicPublish("", "hello", "7", PERSISTENT);
 * ```
 */
export const PERSISTENT: AMQPProperties = { deliveryMode: 2 };

/**
 * Options for {@linkcode basicPublishConfirmed}.
 *
 * @example
 * ```ts
 * import type { PublishConfirmedOptions } from "./mod.ts";
 *
 * const options: PublishConfirmedOptions = { window: 1000, onConfirm: (body) => console.log(body) };
 * ```
 */
export interface PublishConfirmedOptions {
  /** Exchange to publish to. Default: `""`, the default exchange, which routes by queue name. */
  exchange?: string;
  /** Message properties. Default: {@linkcode PERSISTENT}. */
  properties?: AMQPProperties;
  /** Most publishes awaiting a confirm at once. Default: 256. */
  window?: number;
  /** Called once per message, in publish order, after the broker confirmed it. Default: none. */
  onConfirm?: (body: string | Uint8Array, index: number) => void;
}

/**
 * Publishes every body to `routingKey` and resolves once the broker has confirmed them all.
 * Up to `window` publishes are in flight at a time, so confirms cost no round trip per message;
 * `onConfirm` still sees them in order. Puts the channel in confirm mode if it is not yet.
 * A negative confirm (basic.nack) rejects with a {@linkcode BrokerError} naming the message.
 * Resolves to the number of confirmed messages.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connection.ts";
 * import { basicPublishConfirmed } from "./publish.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await basicPublishConfirmed(channel, "hello", ["a", "b", "c"], {
 *   onConfirm: (body) => console.log(` [x] Sent '${body}'`),
 * });
 * await connection.close();
 * ```
 */
export async function basicPublishConfirmed(
  channel: AMQPChannel,
  routingKey: string,
  bodies: Iterable<string | Uint8Array>,
  options: PublishConfirmedOptions = {},
): Promise<number> {
  const { exchange = "", properties = PERSISTENT, window = 256, onConfirm } = options;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot use window ${window}: expected a positive integer`);
  }
  // The client counts confirms in `confirmId` (0 until confirm.select) but hides it from its
  // types. A second confirm.select would restart that count, so select only once.
  if ((channel as unknown as { confirmId: number }).confirmId === 0) await channel.confirmSelect();
  const inFlight: { body: string | Uint8Array; confirmed: Promise<number> }[] = [];
  let confirmedCount = 0;
  const settleOldest = async () => {
    const oldest = inFlight.shift()!;
    try {
      await oldest.confirmed;
    } catch (error) {
      throw new BrokerError(
        `The broker did not accept message ${confirmedCount} (${
          error instanceof Error ? error.message : String(error)
        })`,
        { cause: error },
      );
    }
    onConfirm?.(oldest.body, confirmedCount);
    confirmedCount++;
  };
  for (const body of bodies) {
    const confirmed = channel.basicPublish(exchange, routingKey, body, properties);
    confirmed.catch(() => {}); // awaited in order below; this only marks it handled
    inFlight.push({ body, confirmed });
    if (inFlight.length >= window) await settleOldest();
  }
  while (inFlight.length > 0) await settleOldest();
  return confirmedCount;
}
