/**
 * Declaring a queue that other programs share: whoever declares it first decides what it is,
 * and everyone after uses it as it is.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { isPreconditionFailed } from "./errors.ts";

/**
 * RabbitMQ's queue types: `classic` (one node's), `quorum` (replicated with Raft, always
 * durable), and `stream` (an append-only log that consumers read from any offset).
 */
export type QueueType = "classic" | "quorum" | "stream";

/**
 * What {@linkcode declareQueue} creates when the queue does not exist yet.
 *
 * @example
 * ```ts
 * import type { DeclareQueueOptions } from "./queues.ts";
 *
 * // The article's queue_declare(queue="hello"): classic, gone after a broker restart.
 * const article: DeclareQueueOptions = { type: "classic", durable: false };
 * ```
 */
export interface DeclareQueueOptions {
  /** The type to create. Default: `"quorum"`, as the official RabbitMQ tutorials declare. */
  type?: QueueType;
  /** `false` creates a transient queue (classic only). Default: `true`. */
  durable?: boolean;
  /** More queue arguments (`x-max-length`, `x-dead-letter-exchange`, …). Default: none. */
  arguments?: Record<string, unknown>;
}

/**
 * The queue {@linkcode declareQueue} found or made.
 *
 * @example
 * ```ts
 * import type { DeclaredQueue } from "./queues.ts";
 *
 * const shown = (q: DeclaredQueue) => `${q.name}: ${q.messageCount} ready, ${q.type ?? "?"}`;
 * ```
 */
export interface DeclaredQueue {
  /** The queue's name. */
  name: string;
  /** Messages ready for delivery when it was declared. */
  messageCount: number;
  /** Consumers it had when it was declared. */
  consumerCount: number;
  /** Its type, as asked for or as the broker reported it; `undefined` when not known. */
  type: QueueType | undefined;
  /** Whether it survives a broker restart; `undefined` when not known. */
  durable: boolean | undefined;
  /** Its arguments (`x-queue-type` included), as asked for or as found; `undefined` when not known. */
  arguments: Record<string, unknown> | undefined;
  /**
   * One sentence when the queue already existed and is weaker than, or reads differently from,
   * what was asked for (`Queue 'hello' already exists as a classic, non-durable queue; …`);
   * `undefined` otherwise.
   */
  note?: string;
}

/**
 * Declares `queue` so that it can be shared with other clients, such as the article's Pika
 * scripts and the official tutorials. If the queue does not exist, it is created as `options`
 * say (by default durable and `quorum`, as the official tutorials make it). If it exists with
 * other settings, it is used as it is, and `note` says how it differs when that matters to the
 * caller (not durable, not replicated, a stream). Either way the caller's channel stays open:
 * the declaration runs on a channel of its own, since a refused declaration (406) closes the
 * channel it was made on.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { declareQueue } from "./queues.ts";
 *
 * const connection = await connect();
 * const channel = await connection.channel();
 * const queue = await declareQueue(channel, "hello");
 * if (queue.note) console.error(queue.note);
 * console.log(`${queue.messageCount} messages waiting`);
 * await connection.close();
 * ```
 */
export async function declareQueue(
  channel: AMQPChannel,
  queue: string,
  options: DeclareQueueOptions = {},
): Promise<DeclaredQueue> {
  const { type = "quorum", durable = true } = options;
  if (!durable && type !== "classic") {
    throw new RangeError(`Cannot declare a non-durable ${type} queue: only classic ones can be`);
  }
  const asked: Settings = { durable, arguments: withType(type, options.arguments) };
  const attempt = await tryDeclare(channel, queue, asked);
  if (!(attempt instanceof Error)) return { ...attempt, type, durable, arguments: asked.arguments };
  // It exists with other settings: learn what it is, then use it as it is.
  const found = await discover(channel, queue, durable);
  const ok = await channel.queueDeclare(queue, { passive: true });
  const note = noteFor(queue, { ...options, type, durable }, found);
  return { ...ok, type: found.type, durable: found.durable, arguments: found.arguments, note };
}

interface Settings {
  durable: boolean;
  arguments: Record<string, unknown>;
}

interface Found {
  type: QueueType | undefined;
  durable: boolean | undefined;
  /** Its arguments, `x-queue-type` included; `undefined` when they could not all be learned. */
  arguments: Record<string, unknown> | undefined;
}

function withType(type: QueueType, args: Record<string, unknown> = {}): Record<string, unknown> {
  // A classic queue is declared without x-queue-type, as Pika and the older tutorials do, so
  // that their declarations and ours are the same.
  return type === "classic" ? args : { ...args, "x-queue-type": type };
}

/** Declares on a throwaway channel; a refusal (406) comes back as the error, not thrown. */
async function tryDeclare(
  channel: AMQPChannel,
  queue: string,
  settings: Settings,
): Promise<{ name: string; messageCount: number; consumerCount: number } | Error> {
  const scratch = await channel.connection.channel();
  try {
    const ok = await scratch.queueDeclare(queue, {
      durable: settings.durable,
      exclusive: false,
      autoDelete: false,
      passive: false,
    }, settings.arguments);
    await scratch.close();
    return ok;
  } catch (error) {
    if (isPreconditionFailed(error)) return error as Error;
    await scratch.close().catch(() => {});
    throw error;
  }
}

/**
 * Learns an existing queue's durability, type and arguments the only way AMQP offers: each
 * refused declaration names one setting and its current value ("inequivalent arg 'durable' ...
 * received 'true' but current is 'false'", "... arg 'x-max-length' ... received none but
 * current is the value '10' of type 'long'"), so declare again with it, until one is accepted.
 */
async function discover(channel: AMQPChannel, queue: string, durable: boolean): Promise<Found> {
  const args: Record<string, unknown> = {};
  for (let probe = 0; probe < 16; probe++) {
    const refusal = await tryDeclare(channel, queue, { durable, arguments: args });
    if (!(refusal instanceof Error)) {
      return { type: (args["x-queue-type"] ?? "classic") as QueueType, durable, arguments: args };
    }
    const [, name, current] =
      refusal.message.match(/inequivalent arg '([^']+)'.* but current is (.*?) \(406\)/) ?? [];
    const [, value, kind] = current?.match(/^(?:the value )?'([^']*)'(?: of type '(\w+)')?$/) ?? [];
    if (name === "durable") {
      durable = value === "true";
    } else if (name && value !== undefined && kind !== "table" && kind !== "array") {
      args[name] = kind === "longstr" || kind === undefined
        ? value
        : kind === "bool"
        ? value === "true"
        : Number(value);
    } else {
      break; // a setting that cannot be declared back (a table): what it is stays unknown
    }
  }
  return { type: undefined, durable, arguments: undefined };
}

/** The sentence a script shows when the queue it found is not what it would have made. */
function noteFor(
  queue: string,
  asked: { type: QueueType; durable: boolean; arguments?: Record<string, unknown> },
  found: Found,
): string | undefined {
  const consequences: string[] = [];
  let kind = found.type === undefined ? "a queue of another kind" : `a ${found.type} queue`;
  if (found.durable === false) {
    kind = "a classic, non-durable queue";
    if (asked.durable) consequences.push("its messages do not survive a broker restart");
  } else if (found.type === "stream") {
    kind = "a stream";
    if (asked.type !== "stream") {
      consequences.push(
        "messages stay after they are read, and reading needs a prefetch and manual acks" +
          " (no basic.get, no auto-ack)",
      );
    }
  }
  if (asked.type === "stream" && found.type !== "stream") {
    consequences.push("it is not a stream: a message is gone once acked, and offsets do not apply");
  }
  if (found.type === "classic" && found.durable && asked.type === "quorum") {
    consequences.push("it is not replicated to other nodes");
  }
  const others = Object.keys(found.arguments ?? {}).filter((name) =>
    name !== "x-queue-type" && !(name in (asked.arguments ?? {}))
  );
  const own = others.length > 0
    ? ` with settings of its own (${others.join(", ")})`
    : found.arguments === undefined
    ? " with settings that could not all be learned"
    : "";
  if (consequences.length === 0 && own === "") return undefined;
  return `Queue '${queue}' already exists as ${kind}${own}; using it as it is` +
    (consequences.length > 0 ? `: ${consequences.join("; ")}` : "");
}
