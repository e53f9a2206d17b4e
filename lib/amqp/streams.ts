/**
 * Streams over AMQP 0-9-1: an append-only log that keeps its messages after they are read, so
 * that any consumer can read it again from any point. Reading one has rules the broker enforces
 * by closing things: a prefetch is required (else 406 closes the channel), acks must be manual
 * (auto-ack and basic.get close the whole connection with 540), and a malformed offset closes it
 * with 541. {@linkcode readStream} keeps them; {@linkcode parseStreamOffset} checks an offset
 * before the broker sees it.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { forEachMessage } from "./consume.ts";
import { UsageError } from "./errors.ts";

/**
 * Where reading a stream starts: `"first"` (its oldest message), `"last"` (the last chunk
 * written), `"next"` (only what comes after), an offset number, a `Date` (the first message
 * stored at or after it), or an interval back from now: `"1h"`, `"30m"`, `"7D"` (units `Y`,
 * `M`, `D`, `h`, `m`, `s`).
 *
 * @example
 * ```ts
 * import type { StreamOffset } from "./mod.ts";
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
 * Reads a `--offset` value: `first`, `last`, `next`, a whole number, an ISO 8601 time
 * (`2026-11-28T12:00:00Z`) or an interval (`1h`). Anything else is a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { parseStreamOffset } from "./stream.ts";
 *
 * deepEqual(parseStreamOffset("first"), "first");
 * deepEqual(parseStreamOffset("42"), 42);
 * deepEqual(parseStreamOffset("2026-11-28T12:00:00Z"), new Date("2026-11-28T12:00:00Z"));
 * deepEqual(parseStreamOffset("1h"), "1h");
 * throws(() => parseStreamOffset("yesterday"), /--offset "yesterday"/);
 * ```
 */
export function parseStreamOffset(text: string): StreamOffset {
  if (text === "first" || text === "last" || text === "next") return text;
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (/^\d+[YMDhms]$/.test(text)) return text as StreamOffset;
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
  throw new UsageError(
    `Cannot use --offset "${text}": expected first, last, next, an offset number, ` +
      "an ISO time (2026-11-28T12:00:00Z) or an interval (1h, 30m, 7D)",
  );
}

/**
 * The basic.consume arguments that start a stream consumer at `offset`: `x-stream-offset`, as
 * a string, a 64-bit number or an AMQP timestamp.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { streamOffsetArguments } from "./stream.ts";
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
 * await readStream(channel, "events", (message) => {
 *   console.log(messageOffset(message), message.bodyString());
 * }, { offset: "first" });
 * ```
 */
export function messageOffset(message: AMQPMessage): number | undefined {
  const offset = message.properties.headers?.["x-stream-offset"];
  return typeof offset === "number" || typeof offset === "bigint" ? Number(offset) : undefined;
}

/**
 * Options for {@linkcode readStream}.
 *
 * @example
 * ```ts
 * import type { ReadStreamOptions } from "./mod.ts";
 *
 * const options: ReadStreamOptions = { offset: "first", prefetch: 100 };
 * ```
 */
export interface ReadStreamOptions {
  /** Where to start ({@linkcode StreamOffset}). */
  offset: StreamOffset;
  /** Messages the broker may send ahead; a stream requires one. Default: 100. */
  prefetch?: number;
  /** Stops reading: the message in hand is finished first. Default: none. */
  signal?: AbortSignal;
}

/**
 * Reads the stream `stream` from `options.offset`, handing each message to `onMessage` with its
 * offset, one at a time and in order, until `signal` aborts; acks each after `onMessage`
 * returns (a stream keeps it all the same; the ack is what lets the broker send more). Sets the
 * channel's prefetch, which a stream requires.
 *
 * @example
 * ```ts ignore
 * import { connect, readStream } from "./mod.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await readStream(channel, "hello-stream", (message, offset) => {
 *   console.log(`${offset}: ${message.bodyString()}`);
 * }, { offset: "first", signal: AbortSignal.timeout(5000) });
 * ```
 */
export async function readStream(
  channel: AMQPChannel,
  stream: string,
  onMessage: (message: AMQPMessage, offset: number | undefined) => void | Promise<void>,
  options: ReadStreamOptions,
): Promise<void> {
  const { offset, prefetch = 100, signal } = options;
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new RangeError(`Cannot read a stream with prefetch ${prefetch}: it needs 1 or more`);
  }
  await channel.basicQos(prefetch, 0, false);
  await forEachMessage(channel, stream, async (message) => {
    await onMessage(message, messageOffset(message));
    await message.ack(false);
  }, { noAck: false, signal, arguments: streamOffsetArguments(offset) });
}
