/**
 * Pika's three ways to take messages from a queue, as functions that stop on an `AbortSignal`:
 * {@linkcode pollMessage} pulls with basic.get until a message comes (`channel.basic_get` in a
 * loop), {@linkcode forEachMessage} pushes each to a callback until stopped (`basic_consume` +
 * `start_consuming`), and {@linkcode iterateMessages} is an async iterator that yields `null`
 * after a quiet spell (`channel.consume(inactivity_timeout=...)`). They are named for what they
 * do, not after the client's `basicGet`/`basicConsume`, which return at once.
 *
 * Unlike the client's own defaults, acknowledgement mode is never implied: every function takes
 * `noAck` explicitly.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { Deadline } from "../transport/clock.ts";
import { delay } from "./delay.ts";

/**
 * Options for {@linkcode pollMessage}.
 *
 * @example
 * ```ts
 * import type { PollMessageOptions } from "./consume.ts";
 *
 * const options: PollMessageOptions = { noAck: false, pollInterval: 500 };
 * ```
 */
export interface PollMessageOptions {
  /** `true`: the broker forgets the message once sent (auto-ack); `false`: ack it yourself. */
  noAck: boolean;
  /** Milliseconds to wait before asking again while the queue is empty. Default: 100. */
  pollInterval?: number;
  /** Stops the polling; the call then resolves to `null`. Default: none. */
  stop?: AbortSignal;
}

/**
 * Pulls one message with basic.get. While the queue is empty it waits `pollInterval` and asks
 * again, so it resolves to the next message, or to `null` once `stop` aborts.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { pollMessage } from "./consume.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * const message = await pollMessage(channel, "hello", { noAck: false, stop: AbortSignal.timeout(1000) });
 * if (message) {
 *   console.log(message.bodyString());
 *   await message.ack();
 * }
 * await connection.close();
 * ```
 */
export async function pollMessage(
  channel: AMQPChannel,
  queue: string,
  options: PollMessageOptions,
): Promise<AMQPMessage | null> {
  const { noAck, pollInterval = 100, stop } = options;
  while (!stop?.aborted) {
    const message = await channel.basicGet(queue, { noAck });
    if (message) return message;
    await delay(pollInterval, stop).catch(() => {}); // stopped: loop ends
  }
  return null;
}

/**
 * Options for {@linkcode iterateMessages}.
 *
 * @example
 * ```ts
 * import type { IterateMessagesOptions } from "./consume.ts";
 *
 * const options: IterateMessagesOptions = { noAck: false, inactivityTimeout: 5000 };
 * ```
 */
export interface IterateMessagesOptions {
  /** `true`: auto-ack, the broker forgets each message once sent; `false`: ack it yourself. */
  noAck: boolean;
  /** Milliseconds without a message after which `null` is yielded. Default: never. */
  inactivityTimeout?: number;
  /** basic.consume arguments, such as `x-stream-offset` for a stream. Default: none. */
  arguments?: Record<string, unknown>;
  /**
   * Ends the iteration. With manual ack, messages received but not yet yielded go back to the
   * queue; with auto-ack they are yielded first, since the broker no longer holds them.
   * Default: none.
   */
  stop?: AbortSignal;
}

/**
 * Consumes `queue` as an async iterator, one message at a time, like Pika's
 * `channel.consume(queue, inactivity_timeout=...)`: it yields each delivery, and `null` whenever
 * `inactivityTimeout` passes without one. Leaving the loop early (`break`, `return`, a throw) or
 * aborting `stop` cancels the consumer and puts the messages it had buffered but not yielded
 * back on the queue (basic.nack with requeue), as Pika's `cancel()` does. If the broker cancels
 * the consumer or the channel closes, the iteration throws that error.
 *
 * With `noAck: false` the caller acks each message; set a prefetch (`channel.basicQos`) to bound
 * how many the broker sends ahead.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { iterateMessages } from "./consume.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await channel.basicQos(10);
 * for await (const message of iterateMessages(channel, "hello", { noAck: false, inactivityTimeout: 1000 })) {
 *   if (message === null) break; // a second without messages
 *   console.log(message.bodyString());
 *   await message.ack();
 * }
 * await connection.close();
 * ```
 */
export function iterateMessages(
  channel: AMQPChannel,
  queue: string,
  options: IterateMessagesOptions,
): AsyncIterableIterator<AMQPMessage | null> {
  return new MessageIterator(channel, queue, options);
}

/**
 * iterateMessages() without an async generator: a buffered message is handed out at once, and
 * the consumer is opened on the first `next()` and closed by `return()` (a `break`) or at the end.
 */
class MessageIterator implements AsyncIterableIterator<AMQPMessage | null> {
  #deliveries: Deliveries | undefined;
  #closing: Promise<void> | undefined;
  /** Aborted with auto-ack: the messages the broker already let go of, handed out last. */
  #rest: AMQPMessage[] | undefined;

  constructor(
    readonly channel: AMQPChannel,
    readonly queue: string,
    readonly options: IterateMessagesOptions,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<AMQPMessage | null>> {
    // The usual case, a message buffered and nothing stopping, without an async function.
    const deliveries = this.#deliveries;
    if (deliveries && !this.#closing && !this.#rest && !this.options.stop?.aborted) {
      const message = deliveries.take();
      if (message) return Promise.resolve({ value: message, done: false });
    }
    return this.#next();
  }

  async #next(): Promise<IteratorResult<AMQPMessage | null>> {
    const { noAck, inactivityTimeout, stop } = this.options;
    try {
      if (this.#closing) return await this.#done();
      if (this.#rest) {
        const message = this.#rest.shift();
        return message ? { value: message, done: false } : await this.#done();
      }
      if (!this.#deliveries && stop?.aborted) return await this.#done();
      this.#deliveries ??= await Deliveries.open(
        this.channel,
        this.queue,
        noAck,
        stop,
        this.options.arguments,
      );
      const deliveries = this.#deliveries;
      while (!stop?.aborted) {
        const message = deliveries.take();
        if (message) return { value: message, done: false };
        if (deliveries.finished()) return await this.#done();
        if (await deliveries.wait(inactivityTimeout)) return { value: null, done: false };
      }
      // Stopped: no more deliveries; auto-acked messages are ours alone, so hand them out first.
      await deliveries.cancel();
      if (noAck) {
        this.#rest = deliveries.rest();
        return await this.#next();
      }
      return await this.#done();
    } catch (error) {
      await this.#close().catch(() => {});
      throw error;
    }
  }

  async return(): Promise<IteratorResult<AMQPMessage | null>> {
    return await this.#done();
  }

  async #done(): Promise<IteratorResult<AMQPMessage | null>> {
    await this.#close();
    return { value: undefined, done: true };
  }

  #close(): Promise<void> {
    return this.#closing ??= this.#deliveries?.close() ?? Promise.resolve();
  }
}

/**
 * Options for {@linkcode forEachMessage}.
 *
 * @example
 * ```ts
 * import type { ForEachMessageOptions } from "./consume.ts";
 *
 * const options: ForEachMessageOptions = { noAck: false, stop: AbortSignal.timeout(60_000) };
 * ```
 */
export interface ForEachMessageOptions {
  /** `true`: auto-ack, the broker forgets each message once sent; `false`: ack it yourself. */
  noAck: boolean;
  /** Stops consuming: the message in hand is finished, the rest go back. Default: none. */
  stop?: AbortSignal;
  /** basic.consume arguments, such as `x-stream-offset` for a stream. Default: none. */
  arguments?: Record<string, unknown>;
}

/**
 * Pushes each delivery to `onMessage`, one at a time and in order (each call is awaited before
 * the next), until `stop` aborts: then the message in hand is finished, the consumer is
 * cancelled, buffered messages are requeued, and the promise resolves. This is Pika's
 * `basic_consume(callback)` followed by `start_consuming()`. It rejects if `onMessage` throws
 * (after requeueing what it had buffered), or if the broker cancels the consumer. A handler that
 * returns no promise is called as each delivery is read, with no buffer, promise or wake-up in
 * between (the cheapest way to take a million messages); one that returns a promise holds
 * the next message back until it settles.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { forEachMessage } from "./consume.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * await channel.basicQos(1);
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * await forEachMessage(channel, "hello", async (message) => {
 *   console.log(message.bodyString());
 *   await message.ack();
 * }, { noAck: false, stop: stop.signal });
 * await connection.close();
 * ```
 */
export async function forEachMessage(
  channel: AMQPChannel,
  queue: string,
  onMessage: (message: AMQPMessage) => void | Promise<void>,
  options: ForEachMessageOptions,
): Promise<void> {
  const { noAck, stop } = options;
  if (stop?.aborted) return;
  const deliveries = await Deliveries.open(channel, queue, noAck, stop, options.arguments);
  // While this loop waits, a delivery goes straight to `onMessage` as it is read (push); the
  // loop takes over for what comes while a handler's promise is pending, in order.
  deliveries.handler = onMessage;
  try {
    while (!stop?.aborted) {
      await deliveries.handed();
      // Every message buffered so far, in turn: a handler that returns no promise costs no
      // await, and one that does is awaited before the next message.
      for (let message; !stop?.aborted && (message = deliveries.take());) {
        const done = onMessage(message);
        if (done) await done;
      }
      if (stop?.aborted) break;
      if (deliveries.finished()) return;
      await deliveries.wait();
    }
    await deliveries.cancel();
    if (noAck) {
      for (const message of deliveries.rest()) {
        const done = onMessage(message);
        if (done) await done;
      }
    }
  } finally {
    await deliveries.close();
  }
}

/**
 * The messages a consumer has received and not yet handed out, in order, and what
 * {@linkcode iterateMessages} and {@linkcode forEachMessage} share: waiting for the next one, noticing a
 * cancelled consumer or a closed channel, and giving back what is left when they stop.
 */
class Deliveries {
  #buffer: AMQPMessage[] = [];
  #head = 0; // the next to hand out: shifting the array per message would copy it
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  #ended = false;
  #consumer: { cancel(): Promise<unknown> } | undefined;
  readonly #timeout = new Deadline();
  readonly #notify = () => this.#wake?.();

  private constructor(
    readonly channel: AMQPChannel,
    readonly noAck: boolean,
    readonly stop: AbortSignal | undefined,
  ) {}

  static async open(
    channel: AMQPChannel,
    queue: string,
    noAck: boolean,
    stop?: AbortSignal,
    args: Record<string, unknown> = {},
  ): Promise<Deliveries> {
    const deliveries = new Deliveries(channel, noAck, stop);
    const consumer = await channel.basicConsume(
      queue,
      { noAck, exclusive: false, tag: "", args },
      (message) => {
        if (deliveries.#hand(message)) return;
        deliveries.#buffer.push(message);
        deliveries.#notify();
      },
    );
    deliveries.#consumer = consumer;
    consumer.wait().then(
      () => deliveries.#ended = true,
      (error: Error) => deliveries.#failure = error,
    ).finally(deliveries.#notify);
    stop?.addEventListener("abort", deliveries.#notify);
    return deliveries;
  }

  /**
   * Where a delivery goes as it is read, while the loop that takes them waits (forEachMessage):
   * no buffer, no wake-up, and the message is garbage once handled.
   */
  handler: ((message: AMQPMessage) => void | Promise<void>) | undefined;
  /** What a message handed over returned or threw, for the loop to await or throw. */
  #handedOver: Promise<void> | undefined;

  /**
   * Hands `message` to the handler if nothing is ahead of it (the loop waits in `wait()`, which
   * it enters with the buffer empty); whether it did.
   */
  #hand(message: AMQPMessage): boolean {
    const handler = this.handler;
    if (!handler || !this.#wake || this.stop?.aborted) return false;
    try {
      const done = handler(message);
      if (!done) return true;
      // Pending: the loop awaits it before the next message, which waits in the buffer.
      this.#handedOver = Promise.resolve(done);
    } catch (error) {
      this.#handedOver = Promise.reject(error);
    }
    this.#handedOver.catch(() => {}); // the loop awaits it, rejection and all
    this.#notify();
    return true;
  }

  /** Settles as the message last handed over did (rejects if its handler failed). */
  handed(): Promise<void> {
    const handed = this.#handedOver;
    this.#handedOver = undefined;
    return handed ?? Promise.resolve();
  }

  /** The next buffered message, if any. */
  take(): AMQPMessage | undefined {
    if (this.#head >= this.#buffer.length) return undefined;
    const message = this.#buffer[this.#head++];
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    }
    return message;
  }

  /** True once the broker has cancelled the consumer; throws if the channel failed. */
  finished(): boolean {
    if (this.#failure) throw this.#failure;
    return this.#ended;
  }

  /** Waits for a delivery, the end or an abort; resolves `true` if `timeout` ms passed first. */
  wait(timeout?: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      // One timer for all the waits: they come one per read at a high rate (see clock.ts).
      if (timeout !== undefined) {
        this.#timeout.set(timeout, () => {
          this.#wake = undefined;
          resolve(true);
        });
      }
      this.#wake = () => {
        this.#wake = undefined;
        this.#timeout.clear();
        resolve(false);
      };
    });
  }

  /** Stops further deliveries; those already sent arrive before this resolves. */
  cancel(): Promise<void> {
    return cancelQuietly(this.#consumer!);
  }

  /** Takes every message still buffered. */
  rest(): AMQPMessage[] {
    const rest = this.#buffer.slice(this.#head);
    this.#buffer = [];
    this.#head = 0;
    return rest;
  }

  /** Cancels, and with manual ack puts every message not handed out back on the queue. */
  async close(): Promise<void> {
    this.stop?.removeEventListener("abort", this.#notify);
    this.#timeout[Symbol.dispose]();
    await this.cancel();
    if (!this.noAck && !this.channel.closed) {
      await Promise.all(this.rest().map((message) => message.nack(true, false)));
    }
  }
}

async function cancelQuietly(consumer: { cancel(): Promise<unknown> }): Promise<void> {
  try {
    await consumer.cancel();
  } catch {
    // the channel is already closed: the broker has cancelled it for us
  }
}
