/**
 * Exchanges and the short-lived queues bound to them, for publish/subscribe, routing and topics.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { ExchangeConflictError, isPreconditionFailed } from "./errors.ts";

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
