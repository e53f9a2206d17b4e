/**
 * Exchanges and the short-lived queues bound to them, for publish/subscribe, routing and topics.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { forEachMessage } from "./consume.ts";
import { ExchangeConflictError, isPreconditionFailed } from "./errors.ts";
import { type ReconnectOptions, withReconnectingChannel } from "./reconnect.ts";

/** The exchange types the tutorials use. */
export type ExchangeKind = "fanout" | "direct" | "topic";

/**
 * Declares an exchange as the official tutorials do: not durable, so one left over from the
 * Python or Java tutorials is the same exchange. An exchange that already exists with another
 * type or settings is an {@linkcode ExchangeConflictError} (406).
 *
 * @example
 * ```ts ignore
 * await declareExchange(channel, "logs", "fanout");
 * ```
 */
export async function declareExchange(
  channel: AMQPChannel,
  name: string,
  kind: ExchangeKind,
): Promise<void> {
  try {
    await channel.exchangeDeclare(name, kind, {
      durable: false,
      autoDelete: false,
      internal: false,
      passive: false,
    });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    throw new ExchangeConflictError(name, { cause: error });
  }
}

/**
 * Declares a server-named, exclusive queue (deleted when this connection closes) and binds it to
 * `exchange` with each routing key or pattern. Resolves to the queue's name.
 *
 * @example
 * ```ts ignore
 * const queue = await bindExclusiveQueue(channel, "topic_logs", ["kern.*", "*.critical"]);
 * ```
 */
export async function bindExclusiveQueue(
  channel: AMQPChannel,
  exchange: string,
  bindingKeys: readonly string[],
): Promise<string> {
  const { name } = await channel.queueDeclare("", {
    durable: false,
    exclusive: true,
    autoDelete: true,
    passive: false,
  });
  for (const key of bindingKeys) await channel.queueBind(name, exchange, key, {});
  return name;
}

/**
 * Options for {@linkcode subscribe}: how to connect and reconnect, when to stop, and what to
 * tell. `ready` hears that the queue is bound (again, after a reconnect).
 */
export interface SubscribeOptions extends ReconnectOptions {
  /** Told each time the queue is bound and deliveries may begin. Default: none. */
  ready?: () => void;
}

/**
 * Receives what `exchange` (declared as {@linkcode declareExchange} does) routes with any of
 * `bindingKeys`, through a queue of its own, until `options.stop`: publish/subscribe, routing
 * and topics. The queue is exclusive and server-named, so it goes when the connection does;
 * after a lost connection a new one is bound. Messages are auto-acked, as the tutorials do: a
 * log line missed while stopping is no loss.
 *
 * @example
 * ```ts ignore
 * await subscribe("direct_logs", "direct", ["error"], (message) => {
 *   console.log(message.bodyString());
 * }, { stop: AbortSignal.timeout(5000) });
 * ```
 */
export function subscribe(
  exchange: string,
  kind: ExchangeKind,
  bindingKeys: readonly string[],
  onMessage: (message: AMQPMessage) => void,
  options: SubscribeOptions = {},
): Promise<void> {
  return withReconnectingChannel(async (channel) => {
    await declareExchange(channel, exchange, kind);
    const queue = await bindExclusiveQueue(channel, exchange, bindingKeys);
    options.ready?.();
    await forEachMessage(channel, queue, onMessage, { noAck: true, stop: options.stop });
  }, options);
}
