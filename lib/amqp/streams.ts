/**
 * Streams over AMQP 0-9-1: an append-only log that keeps its messages after they are read, so
 * that any consumer can read it again from any point. Reading one has rules the broker enforces
 * by closing things: a prefetch is required (else 406 closes the channel), acks must be manual
 * (auto-ack and basic.get close the whole connection with 540), and a malformed offset closes it
 * with 541. {@linkcode readStreamQueue} keeps them. (A stream here is RabbitMQ's stream queue,
 * not a Web Stream.)
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { forEachMessage } from "./consume.ts";

/**
 * Where reading a stream starts: `"first"` (its oldest message), `"last"` (the last chunk
 * written), `"next"` (only what comes after), an offset number, a `Date` (the first message
 * stored at or after it), or an interval back from now: `"1h"`, `"30m"`, `"7D"` (units `Y`,
 * `M`, `D`, `h`, `m`, `s`).
 *
 * @example
 * ```ts
 * import type { StreamOffset } from "./streams.ts";
 *
 * const offsets: StreamOffset[] = ["first", 42, new Date("2026-11-28T12:00:00Z"), "1h"];
 * ```
 */
export type StreamOffset =
  | "first"
  | "last"
  | "next"
  | number
  | Date
  | `${number}${"Y" | "M" | "D" | "h" | "m" | "s"}`;

/**
 * The basic.consume arguments that start a stream consumer at `offset`: `x-stream-offset`, as
 * a string, a 64-bit number or an AMQP timestamp.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { streamOffsetArguments } from "./streams.ts";
 *
 * deepEqual(streamOffsetArguments(42), { "x-stream-offset": 42n });
 * ```
 */
export function streamOffsetArguments(offset: StreamOffset): Record<string, unknown> {
  return { "x-stream-offset": typeof offset === "number" ? BigInt(offset) : offset };
}

/**
 * The offset of a message read from a stream (its `x-stream-offset` header), or `undefined`
 * for a message that did not come from one.
 *
 * @example
 * ```ts ignore
 * await readStreamQueue(channel, "events", (message) => {
 *   console.log(messageOffset(message), message.bodyString());
 * }, { offset: "first" });
 * ```
 */
export function messageOffset(message: AMQPMessage): number | undefined {
  const offset = message.properties.headers?.["x-stream-offset"];
  return typeof offset === "number" || typeof offset === "bigint" ? Number(offset) : undefined;
}

/**
 * Options for {@linkcode readStreamQueue}.
 *
 * @example
 * ```ts
 * import type { ReadStreamQueueOptions } from "./streams.ts";
 *
 * const options: ReadStreamQueueOptions = { offset: "first", prefetch: 100 };
 * ```
 */
export interface ReadStreamQueueOptions {
  /** Where to start ({@linkcode StreamOffset}). */
  offset: StreamOffset;
  /** Messages the broker may send ahead; a stream requires one. Default: 100. */
  prefetch?: number;
  /** Stops reading: the message in hand is finished first. Default: none. */
  stop?: AbortSignal;
}

/**
 * Reads the stream `stream` from `options.offset`, handing each message to `onMessage` with its
 * offset, one at a time and in order, until `stop` aborts; acks each after `onMessage`
 * returns (a stream keeps it all the same; the ack is what lets the broker send more). Sets the
 * channel's prefetch, which a stream requires.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { readStreamQueue } from "./streams.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await readStreamQueue(channel, "hello-stream", (message, offset) => {
 *   console.log(`${offset}: ${message.bodyString()}`);
 * }, { offset: "first", stop: AbortSignal.timeout(5000) });
 * ```
 */
export async function readStreamQueue(
  channel: AMQPChannel,
  stream: string,
  onMessage: (message: AMQPMessage, offset: number | undefined) => void | Promise<void>,
  options: ReadStreamQueueOptions,
): Promise<void> {
  const { offset, prefetch = 100, stop } = options;
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new RangeError(`Cannot read a stream with prefetch ${prefetch}: it needs 1 or more`);
  }
  await channel.basicQos(prefetch, 0, false);
  // No async function per message: the ack follows the work, at once when it returns no promise.
  await forEachMessage(channel, stream, (message) => {
    const done = onMessage(message, messageOffset(message));
    if (done === undefined) return message.ack(false);
    return Promise.resolve(done).then(() => message.ack(false));
  }, { noAck: false, stop, arguments: streamOffsetArguments(offset) });
}
