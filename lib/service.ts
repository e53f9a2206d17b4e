/**
 * Long-running consumers: run until Ctrl+C or SIGTERM, and survive a lost connection.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { failure } from "./errors.ts";
import { connect, type ConnectOptions } from "./connection.ts";
import { type ReconnectOptions, withReconnect } from "./reconnect.ts";

/**
 * The standard lines for a lost and regained connection, written through `write`
 * (scripts pass `console.error`), as `onLost`/`onReconnected` options. Given the `--idle`
 * timer, they also stop its clock while reconnecting: idle means no message while connected.
 *
 * @example
 * ```ts
 * import { reconnectLines } from "./mod.ts";
 *
 * const options = { ...reconnectLines(console.error) };
 * ```
 */
export function reconnectLines(
  write: (line: string) => void,
  idle?: { pause(): void; reset(): void },
): Pick<ReconnectOptions, "onLost" | "onReconnected"> {
  return {
    onLost: (error) => {
      idle?.pause();
      write(` [!] Connection lost (${failure(error).line}); reconnecting`);
    },
    onReconnected: (ms, url) => {
      idle?.reset();
      write(` [*] Reconnected to ${url} after ${(ms / 1000).toFixed(1)} s`);
    },
  };
}

/**
 * Runs `session` on a channel of a fresh connection until it returns or `options.signal`
 * aborts, and again on a new connection whenever the connection is lost
 * ({@linkcode withReconnect}). A stop requested through the signal, even while reconnecting,
 * resolves normally.
 *
 * @example
 * ```ts ignore
 * using shutdown = onShutdownSignal();
 * await serve(async (channel) => {
 *   await forEachMessage(channel, "hello", handle, { noAck: false, signal: shutdown.signal });
 * }, { signal: shutdown.signal });
 * ```
 */
export async function serve(
  session: (channel: AMQPChannel) => Promise<void>,
  options: ReconnectOptions,
): Promise<void> {
  try {
    await withReconnect(async (connection) => await session(await connection.channel()), options);
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  }
}

/**
 * Connects, runs `fn` on a channel, and closes the connection whatever happens: for short jobs
 * such as sending one message.
 *
 * @example
 * ```ts ignore
 * await withChannel((channel) => channel.basicPublish("", "hello", "hi"), { name: "once" });
 * ```
 */
export async function withChannel<T>(
  fn: (channel: AMQPChannel) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const connection = await connect(options);
  try {
    return await fn(await connection.channel());
  } finally {
    await connection.close().catch(() => {});
  }
}
