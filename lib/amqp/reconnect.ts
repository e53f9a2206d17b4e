/**
 * Surviving a lost connection: a broker restart, a network cut, a dead peer caught by the
 * heartbeat. {@linkcode withReconnect} runs a session on a connection and, when the connection
 * (not the session's own logic) fails, connects again with backoff and runs the session again.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { brokerIndex, connect, connectedTo, type ConnectOptions } from "./connection.ts";
import { setTimeout as sleep } from "node:timers/promises";

/** Options for {@linkcode withReconnect}. */
export interface ReconnectOptions extends ConnectOptions {
  /** Milliseconds before the first reconnect attempt; doubles per attempt. Default: 100. */
  initialDelay?: number;
  /** Longest wait between attempts, in milliseconds. Default: 5000. */
  maxDelay?: number;
  /** Give up when no attempt succeeded for this many milliseconds. Default: 60000. */
  giveUpAfter?: number;
  /** Called when the connection is lost, before reconnecting. Default: none. */
  onLost?: (error: Error) => void;
  /**
   * Called once connected again, with the milliseconds since the loss and the masked URL of the
   * broker reached. Default: none.
   */
  onReconnected?: (downtime: number, url: string) => void;
}

/**
 * Connects and runs `session(connection)`. If the session fails because the connection was lost
 * (the broker restarted, the network dropped, heartbeats stopped), it reconnects with
 * exponential backoff and runs `session` again on the new connection; any other failure is
 * thrown as is. With a list of brokers (a cluster's nodes), each reconnect starts at the broker
 * after the one lost and goes round the list, so a dead node is not waited for while others
 * answer. The first connect is not retried, so a wrong URL fails at once. The connection
 * is closed when the session returns. Resolves to what the last session returned.
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
 * }, { onLost: (error) => console.error(`lost: ${error.message}`) });
 * ```
 */
export async function withReconnect<T>(
  session: (connection: AMQPBaseClient) => Promise<T>,
  options: ReconnectOptions = {},
): Promise<T> {
  const { initialDelay = 100, maxDelay = 5000, giveUpAfter = 60_000, signal } = options;
  let connection = await connect(options);
  while (true) {
    let result: T;
    try {
      result = await session(connection);
    } catch (error) {
      // Only a connection closed under the session is worth a retry; the session never
      // closes it itself.
      if (!connection.closed || signal?.aborted) {
        await closeQuietly(connection);
        throw error;
      }
      const lostAt = Date.now();
      const startAt = (brokerIndex(connection) ?? -1) + 1;
      options.onLost?.(error instanceof Error ? error : new Error(String(error)));
      options.logger?.warn("amqp: reconnecting");
      connection = await reconnect({
        ...options,
        initialDelay,
        maxDelay,
        giveUpAfter,
        lostAt,
        startAt,
      });
      const url = connectedTo(connection) ?? "";
      options.logger?.info(`amqp: reconnected to ${url} after ${Date.now() - lostAt} ms`);
      options.onReconnected?.(Date.now() - lostAt, url);
      continue;
    }
    await closeQuietly(connection);
    return result;
  }
}

async function closeQuietly(connection: AMQPBaseClient): Promise<void> {
  if (!connection.closed) await connection.close().catch(() => {});
}

async function reconnect(
  options: ReconnectOptions & {
    initialDelay: number;
    maxDelay: number;
    giveUpAfter: number;
    lostAt: number;
    startAt: number;
  },
): Promise<AMQPBaseClient> {
  for (let attempt = 0;; attempt++) {
    const delay = Math.min(options.maxDelay, options.initialDelay * 2 ** attempt);
    // Jitter, so that many clients do not come back in lockstep.
    // Rejects with the abort reason when the caller stops waiting.
    await sleep(delay / 2 + Math.random() * delay / 2, undefined, { signal: options.signal });
    try {
      return await connect(options);
    } catch (error) {
      if (Date.now() - options.lostAt >= options.giveUpAfter) {
        options.logger?.error(`amqp: reconnect gave up after ${options.giveUpAfter} ms`);
        throw error;
      }
    }
  }
}
