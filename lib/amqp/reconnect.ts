/**
 * Surviving a lost connection: a broker restart, a network cut, a dead peer caught by the
 * heartbeat, a cluster node paused or killed. {@linkcode withReconnect} runs a session on a
 * connection and, when the connection (not the session's own logic) fails, connects again with
 * backoff and runs the session again.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { delay } from "./delay.ts";
import { brokerIndex, connectedTo, connectFrom, type ConnectOptions } from "./connect.ts";

/**
 * How long to keep trying to reconnect.
 *
 * @example
 * ```ts
 * import type { RetryOptions } from "./reconnect.ts";
 *
 * const retry: RetryOptions = { giveUpAfter: 120_000 };
 * ```
 */
export interface RetryOptions {
  /** Milliseconds before the first reconnect attempt; doubles per attempt. Default: 100. */
  initialDelay?: number;
  /** Longest wait between attempts, in milliseconds. Default: 5000. */
  maxDelay?: number;
  /** Give up when no attempt succeeded for this many milliseconds. Default: 60000. */
  giveUpAfter?: number;
}

/**
 * What {@linkcode withReconnect} tells as it goes.
 *
 * @example
 * ```ts
 * import type { ReconnectEvents } from "./reconnect.ts";
 *
 * const on: ReconnectEvents = { lost: (error) => console.error(`lost: ${error.message}`) };
 * ```
 */
export interface ReconnectEvents {
  /** The connection to the broker at `url` (masked) was lost; reconnecting. */
  lost?: (error: Error, url: string) => void;
  /** Connected again after `downtime` ms, to the broker at `url` (masked). */
  reconnected?: (downtime: number, url: string) => void;
}

/**
 * Options for {@linkcode withReconnect}.
 *
 * @example
 * ```ts
 * import type { ReconnectOptions } from "./reconnect.ts";
 *
 * const options: ReconnectOptions = { connect: { url: "amqp://guest:guest@127.0.0.1:5672" } };
 * ```
 */
export interface ReconnectOptions {
  /** Where and how to connect, each time. Default: {@linkcode connect}'s defaults. */
  connect?: ConnectOptions;
  /** How long to keep trying. Default: {@linkcode RetryOptions}' defaults. */
  retry?: RetryOptions;
  /** What to tell as it goes. Default: nothing. */
  on?: ReconnectEvents;
  /** Stops waiting to reconnect: the call then rejects with the stop's reason. Default: none. */
  stop?: AbortSignal;
}

/**
 * Connects and runs `session(connection)`. If the session fails because the connection was lost
 * (the broker restarted, the network dropped, heartbeats stopped), it reconnects with
 * exponential backoff and runs `session` again on the new connection; any other failure is
 * thrown as is. With a list of brokers (a cluster's nodes), each reconnect starts at the broker
 * after the one lost and goes round the list, so a dead node is not waited for while others
 * answer. The first connect is not retried, so a wrong URL fails at once. The connection is
 * closed when the session returns. Resolves to what the last session returned.
 *
 * A session must therefore be safe to run again: declare what it needs, and resume rather than
 * restart (the caller keeps its progress outside the session).
 *
 * @example
 * ```ts ignore
 * import { withReconnect } from "./reconnect.ts";
 *
 * let next = 0; // progress survives reconnects
 * await withReconnect(async (connection) => {
 *   const channel = await connection.channel();
 *   for (; next < 10; next++) await channel.basicPublish("", "hello", `${next}`);
 * }, { on: { lost: (error) => console.error(`lost: ${error.message}`) } });
 * ```
 */
export async function withReconnect<T>(
  session: (connection: AMQPBaseClient) => Promise<T>,
  options: ReconnectOptions = {},
): Promise<T> {
  const connectOptions = options.connect ?? {};
  let connection = await connectFrom(connectOptions, 0);
  while (true) {
    let result: T;
    try {
      result = await session(connection);
    } catch (error) {
      // Only a connection closed under the session is worth a retry; the session never
      // closes it itself.
      if (!connection.closed || options.stop?.aborted) {
        await closeQuietly(connection);
        throw error;
      }
      const lostAt = Date.now();
      options.on?.lost?.(
        error instanceof Error ? error : new Error(String(error)),
        connectedTo(connection) ?? "",
      );
      connectOptions.logger?.warn("amqp: reconnecting");
      connection = await reconnect(options, lostAt, (brokerIndex(connection) ?? -1) + 1);
      const url = connectedTo(connection) ?? "";
      connectOptions.logger?.info(`amqp: reconnected to ${url} after ${Date.now() - lostAt} ms`);
      options.on?.reconnected?.(Date.now() - lostAt, url);
      continue;
    }
    await closeQuietly(connection);
    return result;
  }
}

/**
 * Runs `session` on a channel of a fresh connection until it returns, and again on a new
 * connection whenever the connection is lost ({@linkcode withReconnect}): a consumer that
 * outlives broker restarts. A `stop` while reconnecting resolves normally.
 *
 * @example
 * ```ts ignore
 * await withReconnectingChannel(async (channel) => {
 *   await forEachMessage(channel, "hello", handle, { noAck: false, stop });
 * }, { connect: { url }, stop });
 * ```
 */
export async function withReconnectingChannel(
  session: (channel: AMQPChannel) => Promise<void>,
  options: ReconnectOptions,
): Promise<void> {
  try {
    await withReconnect(async (connection) => await session(await connection.channel()), options);
  } catch (error) {
    if (!options.stop?.aborted) throw error;
  }
}

async function closeQuietly(connection: AMQPBaseClient): Promise<void> {
  if (!connection.closed) await connection.close().catch(() => {});
}

async function reconnect(
  options: ReconnectOptions,
  lostAt: number,
  startAt: number,
): Promise<AMQPBaseClient> {
  const { initialDelay = 100, maxDelay = 5000, giveUpAfter = 60_000 } = options.retry ?? {};
  for (let attempt = 0;; attempt++) {
    const wait = Math.min(maxDelay, initialDelay * 2 ** attempt);
    // Jitter, so that many clients do not come back in lockstep. Rejects with the stop's
    // reason when the caller stops waiting.
    await delay(wait / 2 + Math.random() * wait / 2, options.stop);
    try {
      return await connectFrom({ ...options.connect, abort: options.stop }, startAt);
    } catch (error) {
      if (Date.now() - lostAt >= giveUpAfter) {
        options.connect?.logger?.error(`amqp: reconnect gave up after ${giveUpAfter} ms`);
        throw error;
      }
    }
  }
}
