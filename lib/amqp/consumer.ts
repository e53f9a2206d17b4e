/**
 * A consumer that runs until told to stop: declares its queue (or uses it as it finds it),
 * takes messages in one of Pika's three styles, hands each to the caller's work, acks it after
 * (or requeues it once, or parks it if the work throws), and goes on across lost connections,
 * resuming a stream after the last offset it read. consumer.ts is this loop with flags and
 * printing around it; a test can drive it in-process.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { connectedTo, type ConnectOptions } from "./connect.ts";
import { forEachMessage, iterateMessages, pollMessage } from "./consume.ts";
import { parkingQueue, parkMessage } from "./parking.ts";
import { type DeclaredQueue, declareQueue, type DeclareQueueOptions } from "./queues.ts";
import { type ReconnectEvents, withReconnectingChannel } from "./reconnect.ts";
import { messageOffset, type StreamOffset, streamOffsetArguments } from "./streams.ts";

/** How a consumer takes messages: Pika's three styles. */
export type ConsumeStyle = "callback" | "get" | "iterator";

/**
 * What {@linkcode runConsumer} tells, and asks of, its caller.
 *
 * @example
 * ```ts
 * import type { ConsumerEvents } from "./consumer.ts";
 *
 * const on: ConsumerEvents = { message: (message) => console.log(message.bodyString()) };
 * ```
 */
export interface ConsumerEvents extends ReconnectEvents {
  /**
   * The work on one message, before it is acked: throwing makes it a poison message, parked in
   * `QUEUE.dead` (with manual acks). `offset` is its place in a stream.
   */
  message: (message: AMQPMessage, offset: number | undefined) => void | Promise<void>;
  /** The queue was declared, on the first connection: the caller may refuse it by throwing. */
  declared?: (queue: DeclaredQueue, url: string) => void;
  /** A first delivery was requeued (`requeueOnce`), before its work. */
  requeued?: (message: AMQPMessage) => void;
  /** A message the work threw on was parked in `parking`, with `reason`. */
  parked?: (reason: string, parking: string) => void;
  /** The iterator style yielded `null`: `inactivity` ms without a message. */
  quiet?: () => void;
}

/**
 * Options for {@linkcode runConsumer}.
 *
 * @example
 * ```ts
 * import type { ConsumerOptions } from "./consumer.ts";
 *
 * const options: ConsumerOptions = { queue: "hello", style: "callback", noAck: false, on: { message: () => {} } };
 * ```
 */
export interface ConsumerOptions {
  /** The queue to consume. */
  queue: string;
  /** How to take messages. */
  style: ConsumeStyle;
  /** `true`: auto-ack, the broker forgets each message once sent; `false`: ack after the work. */
  noAck: boolean;
  /** How to create the queue if it does not exist. Default: a durable quorum queue. */
  declare?: DeclareQueueOptions;
  /** Unacked messages the broker may send ahead; 0 for no limit. Default: 1. */
  prefetch?: number;
  /** Nack (requeue) each message's first delivery, and do the work on its redelivery. */
  requeueOnce?: boolean;
  /** The iterator style: ms without a message after which `on.quiet` is told. Default: 5000. */
  inactivity?: number;
  /** On a stream: where to start. Default: `"first"`. */
  offset?: StreamOffset;
  /** Stop after this many messages. Default: no limit. */
  max?: number;
  /** Where and how to connect, and reconnect. */
  connect?: ConnectOptions;
  /** Stops: the message in hand is finished, the rest go back to the queue. */
  stop?: AbortSignal;
  /** The work on each message, and what to tell as it goes. */
  on: ConsumerEvents;
}

/**
 * Consumes `options.queue` until `stop` aborts or `max` messages were worked on, across lost
 * connections; resolves to the number of messages worked on (requeued first deliveries not
 * counted). A failure other than a lost connection rejects.
 *
 * @example
 * ```ts ignore
 * const received = await runConsumer({
 *   queue: "hello",
 *   style: "callback",
 *   noAck: false,
 *   stop: AbortSignal.timeout(5000),
 *   on: { message: (message) => console.log(message.bodyString()) },
 * });
 * ```
 */
export async function runConsumer(options: ConsumerOptions): Promise<number> {
  const { queue, style, noAck, on, requeueOnce = false, inactivity = 5000, max } = options;
  const parking = parkingQueue(queue);
  const done = new AbortController(); // --max reached
  const stop = options.stop ? AbortSignal.any([options.stop, done.signal]) : done.signal;
  let received = 0;
  let declared = false;
  let nextOffset = options.offset; // a stream: a reconnect resumes after the last one read

  // Each message is handled without a promise unless its handler returns one (--work): a
  // million of them then cost no microtask, async frame or promise apiece.
  const work = (message: AMQPMessage): void | Promise<void> => {
    if (requeueOnce && !message.redelivered) {
      return message.nack(true, false).then(() => on.requeued?.(message));
    }
    const offset = messageOffset(message);
    if (offset !== undefined) nextOffset = offset + 1;
    const shown = on.message(message, offset);
    return shown ? shown.then(() => settle(message)) : settle(message);
  };
  // The ack, then the count. On an open channel the ack is queued at once and its promise only
  // reports a connection lost meanwhile, which the consuming loop hears from the channel too;
  // on a closed one it is awaited, and rejects with the channel's error.
  const settle = (message: AMQPMessage): void | Promise<void> => {
    if (!noAck) {
      if (message.channel.closed) return message.ack(false).then(count);
      message.ack(false).catch(() => {});
    }
    count();
  };
  const count = () => {
    if (++received === max) done.abort();
  };
  // A message whose work throws is parked in QUEUE.dead (a confirmed copy, then the ack): not
  // fatal, not requeued forever, and no dead-letter settings needed on a shared queue.
  const park = async (message: AMQPMessage, error: unknown) => {
    if (!parking || noAck || message.channel.closed) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    await parkMessage(message, { from: queue, queue: parking, reason, declare: options.declare });
    on.parked?.(reason, parking);
  };
  const handle = (message: AMQPMessage): void | Promise<void> => {
    try {
      const worked = work(message);
      if (worked) return worked.catch((error) => park(message, error));
    } catch (error) {
      return park(message, error);
    }
  };

  // One session per connection: after a broker restart it runs again on a new one.
  const session = async (channel: AMQPChannel) => {
    const found = await declareQueue(channel, queue, options.declare);
    if (!declared) {
      declared = true;
      on.declared?.(found, connectedTo(channel.connection) ?? "");
    }
    const args = found.type === "stream" ? streamOffsetArguments(nextOffset ?? "first") : {};
    await channel.basicQos(options.prefetch ?? 1, 0, false);
    if (style === "get") {
      for (let message; (message = await pollMessage(channel, queue, { noAck, stop }));) {
        await handle(message);
      }
    } else if (style === "callback") {
      await forEachMessage(channel, queue, handle, { noAck, stop, arguments: args });
    } else {
      const messages = iterateMessages(channel, queue, {
        noAck,
        inactivityTimeout: inactivity,
        stop,
        arguments: args,
      });
      for await (const message of messages) {
        if (!message) on.quiet?.();
        else {
          const handled = handle(message);
          if (handled) await handled;
        }
      }
    }
  };
  await withReconnectingChannel(session, {
    connect: options.connect,
    stop,
    on: { lost: on.lost, reconnected: on.reconnected },
  });
  return received;
}
