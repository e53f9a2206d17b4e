/**
 * Publishing with publisher confirms, many in flight at once.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPProperties } from "@cloudamqp/amqp-client/amqp-properties";
import { DenoChannel } from "./_deno_channel.ts";
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
  /** The index of the first body, for `onConfirm` and for errors (a run resumed). Default: 0. */
  firstIndex?: number;
}

/**
 * The broker refused a message with basic.nack: a queue full with `x-overflow` set to
 * `reject-publish`, a quorum queue without a leader (during an election), or an internal error.
 *
 * @example
 * ```ts ignore
 * try {
 *   await basicPublishConfirmed(channel, "hello", bodies);
 * } catch (error) {
 *   if (error instanceof PublishNackedError) console.error(`message ${error.index} refused`);
 * }
 * ```
 */
export class PublishNackedError extends BrokerError {
  /**
   * Creates the error.
   * @param index The refused message's index in the run.
   * @param options `cause` keeps the client's error.
   */
  constructor(readonly index: number, options?: ErrorOptions) {
    super(
      `The broker did not accept message ${index} (basic.nack: a full queue with ` +
        `reject-publish, a quorum queue without a leader, or an internal error)`,
      options,
    );
    this.name = "PublishNackedError";
  }
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
  bodies: Iterable<string | Uint8Array> | Bodies,
  options: PublishConfirmedOptions = {},
): Promise<number> {
  const { exchange = "", properties = PERSISTENT, window = 256, onConfirm, signal } = options;
  const firstIndex = options.firstIndex ?? 0;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot use window ${window}: expected a positive integer`);
  }
  // The client counts confirms in `confirmId` (0 until confirm.select) but hides it from its
  // types. A second confirm.select would restart that count, so select only once.
  if ((channel as unknown as { confirmId: number }).confirmId === 0) await channel.confirmSelect();
  if (channel instanceof DenoChannel) {
    return await publishTracked(channel, routingKey, bodies, { ...options, window, firstIndex });
  }
  // Publishes awaiting their confirm, oldest first from `head`. Each notes when it settles, so
  // that a run of settled ones is handled without a wait (a microtask) apiece.
  const inFlight: InFlight[] = [];
  let head = 0;
  let confirmedCount = 0;
  const settleOldest = async () => {
    const oldest = inFlight[head]!;
    if (!oldest.done) await oldest.settled;
    if (oldest.error) throw describePublishError(oldest.error, firstIndex + confirmedCount);
    inFlight[head++] = undefined!;
    if (head > 4096 && head * 2 > inFlight.length) inFlight.splice(0, head), head = 0;
    onConfirm?.(oldest.body, firstIndex + confirmedCount);
    confirmedCount++;
  };
  const source = bodyReader(bodies);
  for (let body; (body = source.next()) !== undefined;) {
    if (signal?.aborted) break;
    await whileBlocked(channel.connection);
    const entry: InFlight = { body, done: false, error: undefined, settled: undefined! };
    entry.settled = channel.basicPublish(exchange, routingKey, body, properties).then(
      () => void (entry.done = true),
      (error) => void (entry.done = true, entry.error = error), // handled: settleOldest throws it
    );
    inFlight.push(entry);
    while (inFlight.length - head >= window || (head < inFlight.length && inFlight[head]!.done)) {
      await settleOldest();
    }
  }
  while (head < inFlight.length) await settleOldest();
  return confirmedCount;
}

/**
 * basicPublishConfirmed() on the Deno transport's channel: the same contract, with no promise
 * or object per message. Messages are followed by delivery tag: the bodies in flight sit in a
 * ring of `window` slots, and the channel says up to which tag the broker has answered.
 */
async function publishTracked(
  channel: DenoChannel,
  routingKey: string,
  bodies: Iterable<string | Uint8Array> | Bodies,
  options: PublishConfirmedOptions & { window: number; firstIndex: number },
): Promise<number> {
  const { exchange = "", properties = PERSISTENT, window, firstIndex, onConfirm, signal } = options;
  const ring: (string | Uint8Array)[] = new Array(window);
  let firstTag = 0; // the first message's tag, once sent
  let sent = 0;
  let confirmed = 0;
  /** Hands out, in order, what the broker has answered so far. */
  const settle = () => {
    const through = channel.settledThrough - firstTag + 1; // messages [0, through) answered
    for (; confirmed < through && confirmed < sent; confirmed++) {
      if (channel.wasNacked(firstTag + confirmed)) {
        throw new PublishNackedError(firstIndex + confirmed, {
          cause: new Error("Message rejected"),
        });
      }
      // An indexed source gives the body again: nothing waits in memory for its confirm.
      const body = indexed ? indexed.at(confirmed)! : ring[confirmed % window]!;
      if (!indexed) ring[confirmed % window] = undefined!;
      onConfirm?.(body, firstIndex + confirmed);
    }
  };
  const source = bodyReader(bodies);
  const indexed = source.indexed;
  try {
    for (let body; (body = source.next()) !== undefined;) {
      if (signal?.aborted) break;
      await whileBlocked(channel.connection);
      if (sent - confirmed >= window) {
        // A full window: wait until half of it is answered, not for each message in turn (one
        // promise per half window, rather than per message, is what keeps memory flat).
        await channel.waitSettled(firstTag + confirmed + Math.floor(window / 2));
        settle();
      }
      const tag = channel.publishTracked(exchange, routingKey, body, properties);
      if (sent === 0) firstTag = tag;
      if (!indexed) ring[sent % window] = body;
      sent++;
      if (channel.backpressure) await channel.backpressure;
      if (channel.settledThrough >= firstTag + confirmed) settle();
    }
    while (confirmed < sent) {
      await channel.waitSettled(firstTag + confirmed);
      settle();
    }
  } catch (error) {
    // An oversized message closes the channel: named, as the client's own path names it.
    throw error instanceof PublishNackedError
      ? error
      : describePublishError(error, firstIndex + confirmed);
  }
  return confirmed;
}

/**
 * Publishing is refused while the broker blocks the connection (an alarm): wait for the block
 * to lift, or for the connection to drop, which the next publish or wait then reports.
 */
async function whileBlocked(connection: AMQPBaseClient): Promise<void> {
  while (connection.blocked && !connection.closed) await sleep(50);
}

/**
 * The bodies in order, `undefined` after the last. An array or a Bodies is read by index,
 * without an iterator's cost per message, and is returned as `indexed` so that a body can be
 * asked for again instead of kept.
 */
function bodyReader(bodies: Iterable<string | Uint8Array> | Bodies): {
  indexed: Bodies | undefined;
  next(): string | Uint8Array | undefined;
} {
  if ("at" in bodies && typeof bodies.at === "function") {
    const indexed = bodies as Bodies;
    let i = 0;
    const next = () => {
      if (i >= indexed.length) return undefined;
      const body = indexed.at(i++);
      if (body === undefined) throw new RangeError(`No body at ${i - 1} of ${indexed.length}`);
      return body;
    };
    return { indexed, next };
  }
  const iterator = (bodies as Iterable<string | Uint8Array>)[Symbol.iterator]();
  return {
    indexed: undefined,
    next: () => {
      const next = iterator.next();
      return next.done ? undefined : next.value;
    },
  };
}

/** A publish awaiting its confirm. */
interface InFlight {
  body: string | Uint8Array;
  done: boolean;
  error: unknown;
  settled: Promise<void>;
}

/** A nack or an oversized message becomes a BrokerError; anything else (a lost connection) stays. */
function describePublishError(error: unknown, index: number): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (text === "Message rejected") return new PublishNackedError(index, { cause: error });
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

/**
 * Bodies for {@linkcode publishReliably}, read by index as they are sent: an array, or anything
 * with a `length` and an `at(index)`, so that a million bodies need not exist at once.
 *
 * @example
 * ```ts
 * import type { Bodies } from "./mod.ts";
 *
 * const numbers: Bodies = { length: 1_000_000, at: (i) => String(i) };
 * const few: Bodies = ["a", "b"];
 * ```
 */
export interface Bodies {
  /** How many bodies there are. */
  readonly length: number;
  /** The body at `index`, 0 to `length - 1`. */
  at(index: number): string | Uint8Array | undefined;
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
   * Called when the broker refused a message (basic.nack) and it will be sent again, on a new
   * channel after `delay` ms. Default: none.
   */
  onNacked?: (error: PublishNackedError, delay: number) => void;
  /**
   * Where to count what happened, so that the counts are there even if the call rejects
   * (stopped by `signal` while reconnecting, say). Default: a new report.
   */
  report?: PublishReport;
}

/**
 * What {@linkcode publishReliably} did.
 *
 * @example
 * ```ts
 * import type { PublishReport } from "./mod.ts";
 *
 * const report: PublishReport = { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
 * ```
 */
export interface PublishReport {
  /** Messages the broker confirmed: all of them, unless stopped by the signal. */
  confirmed: number;
  /** Messages published again, after a reconnect or a nack, because no confirm had come. */
  resent: number;
  /** How often the connection was lost and re-established. */
  reconnects: number;
  /** How often the broker refused a message (basic.nack) and it was sent again. */
  nacked: number;
}

/**
 * Publishes every body with confirms and keeps going through what a broker or a cluster does
 * to a publisher:
 *
 * - **A lost connection** (a restart, a node killed): it reconnects with backoff, to the next
 *   broker of a list ({@linkcode withReconnect}), and publishes again from the first message not
 *   yet confirmed.
 * - **A refused message** (basic.nack), as a quorum queue sends while it elects a new leader:
 *   it closes the channel, waits (100 ms, doubling), and publishes again from the first
 *   message not confirmed on a new channel, which finds the new leader (on RabbitMQ 3.10 the
 *   old channel keeps addressing the old one). It gives up after `giveUpAfter` ms of refusals
 *   with no progress, with the {@linkcode PublishNackedError}.
 *
 * So nothing is lost: a message whose confirm was lost is sent again and may arrive twice
 * (`resent` counts them). `onConfirm` sees each index once, in order. Bodies are read as they
 * are sent ({@linkcode Bodies}).
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
  bodies: Bodies,
  options: PublishReliablyOptions = {},
): Promise<PublishReport> {
  const report = options.report ?? { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
  const { initialDelay = 100, maxDelay = 5000, giveUpAfter = 60_000, signal } = options;
  let sentUpTo = 0; // bodies [0, sentUpTo) were published at least once
  const unconfirmed = (from: number): Bodies => ({
    length: bodies.length - from,
    at: (i) => {
      if (from + i >= sentUpTo) sentUpTo = from + i + 1;
      return bodies.at(from + i);
    },
  });
  // Refusals in a row, without a confirm in between: when they began, and the next pause.
  let refusedSince: number | undefined;
  let pause = initialDelay;
  await withReconnect(async (connection) => {
    connection.onblocked = (reason) => options.onBlocked?.(reason);
    connection.onunblocked = () => options.onUnblocked?.();
    while (true) {
      const channel = await connection.channel();
      await options.prepare?.(channel);
      try {
        await basicPublishConfirmed(channel, routingKey, unconfirmed(report.confirmed), {
          ...options,
          firstIndex: report.confirmed,
          onConfirm: (body) => {
            refusedSince = undefined;
            pause = initialDelay;
            options.onConfirm?.(body, report.confirmed);
            report.confirmed++; // not inside ?.(): that would skip it without an onConfirm
          },
        });
        await channel.close().catch(() => {});
        return;
      } catch (error) {
        if (!(error instanceof PublishNackedError) || connection.closed) throw error;
        refusedSince ??= Date.now();
        if (Date.now() - refusedSince >= giveUpAfter || signal?.aborted) throw error;
        report.nacked++;
        report.resent += sentUpTo - report.confirmed;
        options.onNacked?.(error, pause);
        await channel.close().catch(() => {});
        await sleep(pause, undefined, { signal });
        pause = Math.min(maxDelay, pause * 2);
      }
    }
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
