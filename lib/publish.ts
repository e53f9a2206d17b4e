/**
 * Publishing with publisher confirms, many in flight at once.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPProperties } from "@cloudamqp/amqp-client/amqp-properties";
import { BrokerError } from "./errors.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { type ReconnectOptions, withReconnect } from "./reconnect.ts";

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
  /**
   * Stops publishing: no further body is taken, and the call resolves once those already sent
   * are confirmed. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * Publishes every body to `routingKey` and resolves once the broker has confirmed them all.
 * Up to `window` publishes are in flight at a time, so confirms cost no round trip per message;
 * `onConfirm` still sees them in order. Puts the channel in confirm mode if it is not yet.
 * While the broker blocks the connection (a memory or disk alarm) it waits instead of
 * publishing. A negative confirm (basic.nack) or a message over the broker's size limit rejects
 * with a {@linkcode BrokerError} naming the message; a lost connection rejects with the
 * client's error, as is. Resolves to the number of confirmed messages.
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
  const { exchange = "", properties = PERSISTENT, window = 256, onConfirm, signal } = options;
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
      throw describePublishError(error, confirmedCount);
    }
    onConfirm?.(oldest.body, confirmedCount);
    confirmedCount++;
  };
  const connection = channel.connection;
  for (const body of bodies) {
    if (signal?.aborted) break;
    // The client refuses to publish while blocked; wait for the alarm to clear (or the
    // connection to drop, which the publish below then reports).
    while (connection.blocked && !connection.closed) await sleep(50);
    const confirmed = channel.basicPublish(exchange, routingKey, body, properties);
    confirmed.catch(() => {}); // awaited in order below; this only marks it handled
    inFlight.push({ body, confirmed });
    if (inFlight.length >= window) await settleOldest();
  }
  while (inFlight.length > 0) await settleOldest();
  return confirmedCount;
}

/** A nack or an oversized message becomes a BrokerError; anything else (a lost connection) stays. */
function describePublishError(error: unknown, index: number): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (text === "Message rejected") {
    return new BrokerError(
      `The broker did not accept message ${index} (basic.nack: a full queue with ` +
        `reject-publish, or an internal error)`,
      { cause: error },
    );
  }
  const size = text.match(/message size (\d+) is larger than configured max size (\d+)/);
  if (size) {
    return new BrokerError(
      `The broker refused message ${index}: ${size[1]} bytes is over its maximum message size ` +
        `of ${size[2]} (406). Send smaller messages or raise max_message_size`,
      { cause: error },
    );
  }
  return error;
}

/** Options for {@linkcode publishReliably}. */
export interface PublishReliablyOptions extends PublishConfirmedOptions, ReconnectOptions {
  /** Runs on each new channel before publishing, e.g. to declare the queue. Default: none. */
  prepare?: (channel: AMQPChannel) => Promise<unknown>;
  /** Called when the broker blocks publishing (memory or disk alarm). Default: none. */
  onBlocked?: (reason: string) => void;
  /** Called when the broker lifts the block. Default: none. */
  onUnblocked?: () => void;
  /**
   * Where to count what happened, so that the counts are there even if the call rejects
   * (stopped by `signal` while reconnecting, say). Default: a new report.
   */
  report?: PublishReport;
}

/** What {@linkcode publishReliably} did. */
export interface PublishReport {
  /** Messages the broker confirmed: all of them, when the call resolves. */
  confirmed: number;
  /** Messages published again after a reconnect because their confirm never came. */
  resent: number;
  /** How often the connection was lost and re-established. */
  reconnects: number;
}

/**
 * Publishes every body with confirms and keeps going through lost connections: on a broker
 * restart it reconnects with backoff ({@linkcode withReconnect}) and publishes again, from the
 * first message not yet confirmed. So nothing is lost; a message whose confirm was lost with the
 * connection is sent again and may arrive twice (`resent` counts them). `onConfirm` sees each
 * index once, in order.
 *
 * @example
 * ```ts ignore
 * import { declareQueue, publishReliably } from "./mod.ts";
 *
 * const report = await publishReliably("hello", ["a", "b"], {
 *   prepare: (channel) => declareQueue(channel, "hello"),
 *   onLost: (error) => console.error(`reconnecting: ${error.message}`),
 * });
 * console.log(`${report.confirmed} confirmed, ${report.resent} sent twice`);
 * ```
 */
export async function publishReliably(
  routingKey: string,
  bodies: readonly (string | Uint8Array)[],
  options: PublishReliablyOptions = {},
): Promise<PublishReport> {
  const report: PublishReport = options.report ?? { confirmed: 0, resent: 0, reconnects: 0 };
  let sentUpTo = 0; // bodies[0, sentUpTo) were published at least once
  await withReconnect(async (connection) => {
    connection.onblocked = (reason) => options.onBlocked?.(reason);
    connection.onunblocked = () => options.onUnblocked?.();
    const channel = await connection.channel();
    await options.prepare?.(channel);
    function* unconfirmed(from: number) {
      for (let i = from; i < bodies.length; i++) {
        sentUpTo = Math.max(sentUpTo, i + 1);
        yield bodies[i]!;
      }
    }
    await basicPublishConfirmed(channel, routingKey, unconfirmed(report.confirmed), {
      ...options,
      onConfirm: (body) => options.onConfirm?.(body, report.confirmed++),
    });
  }, {
    ...options,
    onLost: (error) => {
      // Whatever went out without a confirm goes out again from the new connection.
      report.reconnects++;
      report.resent += sentUpTo - report.confirmed;
      options.onLost?.(error);
    },
  });
  return report;
}
