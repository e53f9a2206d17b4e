/**
 * Publishing with publisher confirms, many in flight at once: {@linkcode publishWithConfirms}
 * on one channel, and {@linkcode publishReliably}, which goes on through lost connections,
 * refusals and alarms until every message is confirmed.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPProperties } from "@cloudamqp/amqp-client/amqp-properties";
import { delay } from "./delay.ts";
import { DenoChannel } from "../transport/channel.ts";
import type { DenoAMQPClient } from "../transport/client.ts";
import { type ConnectOptions, withChannel } from "./connect.ts";
import { MessageTooLargeError, PublishNackedError } from "./errors.ts";
import { type ReconnectEvents, type RetryOptions, withReconnect } from "./reconnect.ts";

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
 * Bodies read by index as they are sent: an array, or anything with a `length` and an
 * `at(index)`, so that a million bodies need not exist at once.
 *
 * @example
 * ```ts
 * import type { Bodies } from "./publish.ts";
 *
 * const numbers: Bodies = { length: 1_000_000, at: (i) => i.toFixed(0) };
 * const few: Bodies = ["a", "b"];
 * ```
 */
export interface Bodies {
  /** How many bodies there are. */
  readonly length: number;
  /** The body at `index`, 0 to `length - 1`. */
  at(index: number): string | Uint8Array | undefined;
}

/**
 * Options for {@linkcode publishWithConfirms}.
 *
 * @example
 * ```ts
 * import type { PublishOptions } from "./publish.ts";
 *
 * const options: PublishOptions = { window: 1000, onConfirm: (body) => console.log(body) };
 * ```
 */
export interface PublishOptions {
  /** Exchange to publish to. Default: `""`, the default exchange, which routes by queue name. */
  exchange?: string;
  /** Message properties. Default: {@linkcode PERSISTENT}. */
  properties?: AMQPProperties;
  /** Most publishes awaiting a confirm at once. Default: 256. */
  window?: number;
  /** Called once per message, in publish order, after the broker confirmed it. Default: none. */
  onConfirm?: (body: string | Uint8Array, index: number) => void;
  /**
   * Stops gracefully: no further body is taken, and the call resolves once those already sent
   * are confirmed. Default: none.
   */
  stop?: AbortSignal;
  /** Stops now: the call rejects with the signal's reason, confirms or not. Default: none. */
  abort?: AbortSignal;
}

/**
 * Publishes every body to `routingKey` and resolves to the number confirmed, once the broker
 * has confirmed them all (or `stop` ended the run). Up to `window` publishes are in flight at a
 * time, so confirms cost no round trip per message, and `onConfirm` still sees them in order;
 * bodies are followed by delivery tag, with no promise or object per message. Puts the channel
 * in confirm mode if it is not yet. While the broker blocks the connection (a memory or disk
 * alarm) it waits for the block to lift. A negative confirm rejects with a
 * {@linkcode PublishNackedError}, a message over the broker's size limit with a
 * {@linkcode MessageTooLargeError}; a lost connection rejects with the client's error, as is.
 *
 * The channel must come from {@linkcode connect}, whose channels write publishes straight into
 * the socket's queue.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { publishWithConfirms } from "./publish.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await publishWithConfirms(channel, "hello", ["a", "b", "c"], {
 *   onConfirm: (body) => console.log(` [x] Sent '${body}'`),
 * });
 * await connection.close();
 * ```
 */
export function publishWithConfirms(
  channel: AMQPChannel,
  routingKey: string,
  bodies: Iterable<string | Uint8Array> | Bodies,
  options: PublishOptions = {},
): Promise<number> {
  return publishFrom(channel, routingKey, bodies, 0, options);
}

/**
 * Options for {@linkcode sendOne}: where to connect, the exchange and properties, and what to
 * do on the channel first (declare the queue or exchange).
 */
export interface SendOneOptions extends Pick<PublishOptions, "exchange" | "properties"> {
  /** Where and how to connect. Default: {@linkcode connect}'s defaults. */
  connect?: ConnectOptions;
  /** Runs on the channel before publishing, e.g. to declare the queue. Default: none. */
  prepare?: (channel: AMQPChannel) => Promise<unknown>;
}

/**
 * Connects, publishes one message and resolves once the broker has confirmed it, then closes:
 * what a script that sends one task or one log line does.
 *
 * @example
 * ```ts ignore
 * await sendOne("task_queue", "A task...", {
 *   prepare: (channel) => declareQueue(channel, "task_queue"),
 * });
 * ```
 */
export function sendOne(
  routingKey: string,
  body: string | Uint8Array,
  options: SendOneOptions = {},
): Promise<void> {
  return withChannel(async (channel) => {
    await options.prepare?.(channel);
    await publishWithConfirms(channel, routingKey, [body], options);
  }, options.connect);
}

/** {@linkcode publishWithConfirms}, numbering the bodies from `first` (a run resumed). */
async function publishFrom(
  channel: AMQPChannel,
  routingKey: string,
  bodies: Iterable<string | Uint8Array> | Bodies,
  first: number,
  options: PublishOptions,
  pace?: { due: (index: number) => number; wake: AbortSignal | undefined },
): Promise<number> {
  const { exchange = "", properties = PERSISTENT, window = 256, onConfirm, stop, abort } = options;
  if (!(channel instanceof DenoChannel)) {
    throw new TypeError("Cannot publish with confirms on a channel not opened by connect()");
  }
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot use window ${window}: expected a positive integer`);
  }
  abort?.throwIfAborted();
  // A second confirm.select would restart the broker's count, so select only once.
  if (!channel.confirming) await channel.confirmSelect();
  const connection = channel.connection as DenoAMQPClient;
  const ring: (string | Uint8Array)[] = new Array(window);
  let firstTag = 0; // the first message's tag, once sent
  let sent = 0;
  let confirmed = 0;
  /** Hands out, in order, what the broker has answered so far. */
  const settle = () => {
    const through = channel.settledThrough - firstTag + 1; // messages [0, through) answered
    for (; confirmed < through && confirmed < sent; confirmed++) {
      if (channel.wasNacked(firstTag + confirmed)) {
        throw new PublishNackedError(first + confirmed, { cause: new Error("Message rejected") });
      }
      // An indexed source gives the body again: nothing waits in memory for its confirm.
      const body = indexed ? indexed.at(confirmed)! : ring[confirmed % window]!;
      if (!indexed) ring[confirmed % window] = undefined!;
      onConfirm?.(body, first + confirmed);
    }
  };
  const wait = (tag: number) => untilAborted(channel.waitSettled(tag), abort);
  const source = bodyReader(bodies);
  const indexed = source.indexed;
  try {
    for (let body; (body = source.next()) !== undefined;) {
      if (stop?.aborted) break;
      abort?.throwIfAborted();
      if (connection.blocked) await untilAborted(connection.whenUnblocked(), abort);
      // Paced: ahead of the schedule, wait for it (confirms go on arriving meanwhile).
      const early = pace ? pace.due(first + sent) - performance.now() : 0;
      if (early > 1) {
        await delay(early, pace!.wake).catch(() => {});
        if (stop?.aborted) break;
        abort?.throwIfAborted();
        settle();
      }
      if (sent - confirmed >= window) {
        // A full window: wait until half of it is answered, not for each message in turn (one
        // promise per half window, rather than per message, is what keeps memory flat).
        await wait(firstTag + confirmed + Math.floor(window / 2));
        settle();
      }
      const tag = channel.publishByTag(exchange, routingKey, body, properties);
      if (sent === 0) firstTag = tag;
      if (!indexed) ring[sent % window] = body;
      sent++;
      if (channel.backpressure) await untilAborted(channel.backpressure, abort);
      if (channel.settledThrough >= firstTag + confirmed) settle();
    }
    while (confirmed < sent) {
      await wait(firstTag + confirmed);
      settle();
    }
  } catch (error) {
    throw describePublishError(error, first + confirmed);
  }
  return confirmed;
}

/** `promise`, or a rejection with `abort`'s reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, abort: AbortSignal | undefined): Promise<T> {
  if (!abort) return promise;
  abort.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abort.reason);
    abort.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => abort.removeEventListener("abort", onAbort));
  });
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

/** An oversized message becomes a MessageTooLargeError; anything else stays as it is. */
function describePublishError(error: unknown, index: number): unknown {
  const text = error instanceof Error ? error.message : String(error);
  const size = text.match(/message size (\d+) is larger than configured max size (\d+)/);
  if (size) {
    return new MessageTooLargeError(index, Number(size[1]), Number(size[2]), { cause: error });
  }
  return error;
}

/**
 * What {@linkcode publishReliably} did, counted as it goes.
 *
 * @example
 * ```ts
 * import type { PublishReport } from "./publish.ts";
 *
 * const report: PublishReport = { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
 * ```
 */
export interface PublishReport {
  /** Messages the broker confirmed: all of them, unless stopped. */
  confirmed: number;
  /** Messages published again, after a reconnect or a nack, because no confirm had come. */
  resent: number;
  /** How often the connection was lost and re-established. */
  reconnects: number;
  /** How often the broker refused a message (basic.nack) and it was sent again. */
  nacked: number;
}

/**
 * What {@linkcode publishReliably} tells as it goes.
 *
 * @example
 * ```ts
 * import type { PublishEvents } from "./publish.ts";
 *
 * const on: PublishEvents = { blocked: (reason) => console.error(`blocked: ${reason}`) };
 * ```
 */
export interface PublishEvents extends ReconnectEvents {
  /** A message confirmed, in order: its body and index. */
  confirm?: (body: string | Uint8Array, index: number) => void;
  /** The broker blocks publishing (a memory or disk alarm): waiting. */
  blocked?: (reason: string) => void;
  /** The broker lifted the block. */
  unblocked?: () => void;
  /** The broker refused a message; it is sent again on a new channel after `delay` ms. */
  nacked?: (error: PublishNackedError, delay: number) => void;
}

/**
 * Options for {@linkcode publishReliably}, grouped by purpose.
 *
 * @example
 * ```ts
 * import type { PublishReliablyOptions } from "./publish.ts";
 *
 * const options: PublishReliablyOptions = { connect: { name: "producer" }, window: 1000 };
 * ```
 */
export interface PublishReliablyOptions {
  /** Where and how to connect. Default: {@linkcode connect}'s defaults. */
  connect?: ConnectOptions;
  /** How long to keep trying through lost connections and refusals. Default: 60 s. */
  retry?: RetryOptions;
  /** Exchange to publish to. Default: `""`. */
  exchange?: string;
  /** Message properties. Default: {@linkcode PERSISTENT}. */
  properties?: AMQPProperties;
  /** Most publishes awaiting a confirm at once. Default: 256. */
  window?: number;
  /** Runs on each new channel before publishing, e.g. to declare the queue. Default: none. */
  prepare?: (channel: AMQPChannel) => Promise<unknown>;
  /** What to tell as it goes. Default: nothing. */
  on?: PublishEvents;
  /** Where to count, so that the counts are there whatever happens. Default: a new report. */
  report?: PublishReport;
  /**
   * Stops gracefully: no further message is sent, and the call resolves once those sent are
   * confirmed, or at once while it reconnects or waits. Default: none.
   */
  stop?: AbortSignal;
  /** Stops now: the call rejects with the signal's reason. Default: none. */
  abort?: AbortSignal;
  /**
   * Most messages a second, on average since the call began (reconnects included), as a
   * steady source sends. Default: as fast as the broker confirms.
   */
  rate?: number;
}

/**
 * Publishes every body with confirms and keeps going through what a broker or a cluster does
 * to a publisher:
 *
 * - **A lost connection** (a restart, a node killed or paused): it reconnects with backoff, to
 *   the next broker of a list ({@linkcode withReconnect}), and publishes again from the first
 *   message not yet confirmed.
 * - **A refused message** (basic.nack), as a quorum queue sends while it elects a leader or on
 *   a node cut off from the others: it closes the channel, waits (100 ms, doubling), and
 *   publishes again from the first message not confirmed on a new channel, which finds the new
 *   leader (on RabbitMQ 3.10 the old channel keeps addressing the old one). It gives up after
 *   `retry.giveUpAfter` ms of refusals with no progress, with the {@linkcode PublishNackedError}.
 * - **An alarm**: it waits while the broker blocks publishing.
 *
 * So nothing is lost: a message whose confirm was lost is sent again and may arrive twice
 * (`resent` counts them). `on.confirm` sees each index once, in order. Bodies are read as they
 * are sent ({@linkcode Bodies}).
 *
 * @example
 * ```ts ignore
 * import { declareQueue, publishReliably } from "../mod.ts";
 *
 * const report = await publishReliably("hello", ["a", "b"], {
 *   prepare: (channel) => declareQueue(channel, "hello"),
 *   on: { lost: (error) => console.error(`reconnecting: ${error.message}`) },
 * });
 * console.log(`${report.confirmed} confirmed, ${report.resent} sent twice`);
 * ```
 */
export async function publishReliably(
  routingKey: string,
  bodies: Bodies,
  options: PublishReliablyOptions = {},
): Promise<PublishReport> {
  const { on = {}, stop, abort } = options;
  const report = options.report ?? { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
  const { initialDelay = 100, maxDelay = 5000, giveUpAfter = 60_000 } = options.retry ?? {};
  const publish = { exchange: options.exchange, properties: options.properties, stop, abort };
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
  if (options.rate !== undefined && !(options.rate > 0 && Number.isFinite(options.rate))) {
    throw new RangeError(`Cannot use rate ${options.rate}: expected messages a second, above 0`);
  }
  const started = performance.now();
  // Stopped gracefully or aborted: either ends a wait (to reconnect, or for the pace).
  const either = stop && abort ? AbortSignal.any([stop, abort]) : stop ?? abort;
  const pace = options.rate
    ? { due: (index: number) => started + index * 1000 / options.rate!, wake: either }
    : undefined;
  const session = async (connection: AMQPBaseClient) => {
    connection.onblocked = (reason) => on.blocked?.(reason);
    connection.onunblocked = () => on.unblocked?.();
    while (!stop?.aborted) {
      const channel = await connection.channel();
      await options.prepare?.(channel);
      try {
        await publishFrom(channel, routingKey, unconfirmed(report.confirmed), report.confirmed, {
          ...publish,
          window: options.window,
          onConfirm: (body) => {
            refusedSince = undefined;
            pause = initialDelay;
            on.confirm?.(body, report.confirmed);
            report.confirmed++; // not inside ?.(): that would skip it without a listener
          },
        }, pace);
        await channel.close().catch(() => {});
        return;
      } catch (error) {
        if (!(error instanceof PublishNackedError) || connection.closed) throw error;
        refusedSince ??= Date.now();
        if (Date.now() - refusedSince >= giveUpAfter) throw error;
        report.nacked++;
        report.resent += sentUpTo - report.confirmed;
        on.nacked?.(error, pause);
        await channel.close().catch(() => {});
        await delay(pause, stop).catch(() => {}); // a stop ends the wait
        pause = Math.min(maxDelay, pause * 2);
      }
    }
  };
  try {
    await withReconnect(session, {
      connect: { ...options.connect, abort },
      retry: options.retry,
      stop: either,
      on: {
        lost: (error, url) => {
          // Whatever went out without a confirm goes out again from the new connection.
          report.reconnects++;
          report.resent += sentUpTo - report.confirmed;
          on.lost?.(error, url);
        },
        reconnected: on.reconnected,
      },
    });
  } catch (error) {
    if (abort?.aborted || !stop?.aborted) throw error;
    // Stopped while reconnecting or waiting: nothing more to confirm.
  }
  return report;
}
