/**
 * # Consumer: receive from the queue `hello` in one of Pika's three styles (the full tool)
 *
 * The tutorial's consumer.py in Deno, with everything a real consumer adds: flags, reconnects,
 * parking of poison messages, a clean Ctrl+C. `--style callback` (default) is push delivery
 * with a callback, `get` pulls one message per basic.get, `iterator` loops over an async
 * iterator that yields `null` after `--inactivity` seconds of quiet. Each message is acked after
 * it is printed. Ctrl+C finishes the message in hand, requeues the rest and exits 0; a second
 * Ctrl+C, later, exits at once. To learn one style at a time, read examples/receive_*.ts first.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" consumer.ts --style get
 *
 * @module
 */

import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { bodyText, brokerOptions, type DeclaredQueue, idleTimer, integerFlag } from "./lib/mod.ts";
import type { ConsumerEvents, ConsumerOptions, FlagValues, Run } from "./lib/mod.ts";
import { printable, progressLine, queueNameFlag, queueTypeFlags } from "./lib/mod.ts";
import { reconnectLines, runConsumer, runMain, secondsFlag, showBody } from "./lib/mod.ts";
import { streamOffsetFlag, UsageError } from "./lib/mod.ts";

const USAGE = `Usage: consumer.ts [--style callback|get|iterator] [flags]

Receives messages from a queue and acks each after printing it; runs until Ctrl+C.

  --style S          callback (push, default), get (pull), iterator (async iterator)
  --queue NAME       queue to consume, declared if it does not exist (default hello)
  --queue-type T     quorum (default), classic or stream: the type it is created with
  --transient        create it non-durable, like the article's queue_declare("hello")
                     (with --queue-type classic)
  --url URL          broker URL (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --ca FILE          CA certificates (PEM) to trust for amqps:// (default $AMQP_CA_FILE)
  --prefetch N       unacked messages the broker may send ahead, 0 = no limit (default 1)
  --auto-ack         let the broker forget each message once sent (no ack; prefetch ignored)
  --requeue-once     nack (requeue) each message's first delivery, ack its redelivery
  --inactivity SECS  iterator: yield null after this long without a message (default 5)
  --offset O         a stream: where to start, first (default), last, next, an offset,
                     an ISO time or an interval back from now (1h)
  --work SECS        simulate this much work per message before the ack (default 0)
  --idle SECS        stop after this long without a message
  --max N            stop after N messages
  --raw              print bodies as they are (by default control characters such as
                     newlines and terminal escapes are shown as \\n, \\x1b, ...)
  --help             show this text`;

const STYLES = ["callback", "get", "iterator"] as const;

/** consumer.ts's flags, as `node:util`'s `parseArgs` declares them (`--help` is added). */
export const FLAGS = {
  style: { type: "string", default: "callback" },
  queue: { type: "string", default: "hello" },
  "queue-type": { type: "string", default: "quorum" },
  transient: { type: "boolean", default: false },
  url: { type: "string" },
  ca: { type: "string" },
  prefetch: { type: "string", default: "1" },
  "auto-ack": { type: "boolean", default: false },
  "requeue-once": { type: "boolean", default: false },
  inactivity: { type: "string", default: "5" },
  offset: { type: "string" },
  work: { type: "string" },
  idle: { type: "string" },
  max: { type: "string" },
  raw: { type: "boolean", default: false },
} as const;

/** consumer.ts's flags, each checked before anything is sent: the loop's and its own. */
export interface ConsumerConfig {
  /** What {@linkcode runConsumer} is given, but for its stop signal and its events. */
  loop:
    & Omit<ConsumerOptions, "stop" | "on">
    & Required<Pick<ConsumerOptions, "prefetch" | "requeueOnce" | "inactivity">>;
  /** `--work`: ms of simulated work per message, before the ack. */
  workMs: number;
  /** `--idle`: stop after this many ms without a message while connected. */
  idleMs?: number;
  /** `--raw`: print bodies as they are. */
  raw: boolean;
}

/** Reads the flags into a {@linkcode ConsumerConfig}, or throws a {@linkcode UsageError}. */
export function consumerConfig(flags: FlagValues<typeof FLAGS>): ConsumerConfig {
  const style = STYLES.find((s) => s === flags.style);
  if (!style) {
    throw new UsageError(`Cannot use --style "${flags.style}": expected callback, get or iterator`);
  }
  const noAck = flags["auto-ack"];
  const requeueOnce = flags["requeue-once"];
  if (noAck && requeueOnce) {
    throw new UsageError("Cannot use --requeue-once with --auto-ack: auto-acked messages are gone");
  }
  const queue = queueNameFlag("queue", flags.queue);
  const prefetch = integerFlag("prefetch", flags.prefetch, 0);
  const inactivity = secondsFlag("inactivity", flags.inactivity);
  const workMs = secondsFlag("work", flags.work) ?? 0;
  const idleMs = secondsFlag("idle", flags.idle);
  const offset = flags.offset === undefined ? undefined : streamOffsetFlag("offset", flags.offset);
  const loop = {
    queue,
    style,
    noAck,
    requeueOnce,
    prefetch,
    inactivity,
    offset,
    declare: queueTypeFlags(flags["queue-type"], flags.transient),
    max: integerFlag("max", flags.max),
    connect: brokerOptions(flags, `consumer.ts --style ${style}`),
  };
  return { loop, workMs, idleMs, raw: flags.raw };
}

/**
 * What consumer.ts prints as the loop goes: its events, then `done` with the count. Given the
 * `--idle` timer, a message resets it and a reconnect pauses it.
 */
function consumerLines(
  config: ConsumerConfig,
  out: Run<typeof FLAGS>["out"],
  idle?: ReturnType<typeof idleTimer>,
): { on: ConsumerEvents; done(received: number): void } {
  const { queue, style, noAck, prefetch, requeueOnce, offset, inactivity } = config.loop;
  const tty = Deno.stdout.isTerminal();
  let progress: ReturnType<typeof progressLine> | undefined;
  let shown = 0;
  // A body that is not UTF-8 throws: a poison message, parked (unless nothing could park
  // it). Control characters print as escapes unless --raw: no forged lines, no escapes.
  const strict = !noAck && !queue.endsWith(".dead");
  const text = (message: AMQPMessage) =>
    strict
      ? `'${config.raw ? bodyText(message.body) : printable(bodyText(message.body))}'`
      : showBody(message.body, config);
  const on: ConsumerEvents = {
    declared: (found, url) => {
      idle?.reset(); // connected: from now on, a quiet queue counts as idle
      checkQueue(found, { style, noAck, prefetch, requeueOnce, offset });
      if (found.note) console.error(` [!] ${found.note}`);
      out.line(` [*] Waiting for messages in '${queue}' at ${url}. To exit press CTRL+C`);
    },
    // The work: print, wait --work seconds; the ack comes after, in the loop.
    message: (message, at) => {
      idle?.reset();
      const tag = message.redelivered
        ? " (redelivered)"
        : at === undefined
        ? ""
        : ` (offset ${at})`;
      const line = ` [x] Received ${text(message)}${tag}`; // [x] Received '7'
      // On a terminal, past the first 1000, one progress line instead (on stderr).
      if (tty && shown >= 1000) {
        progress ??= (out.flush(), progressLine(Deno.stderr, "received"));
        progress.update(shown + 1);
      } else out.line(line);
      shown++;
      if (config.workMs) return new Promise((resolve) => setTimeout(resolve, config.workMs));
    },
    requeued: (message) => {
      idle?.reset();
      out.line(` [x] Requeued ${text(message)}`); // [x] Requeued '7'
    },
    parked: (reason, parking) => console.error(` [!] ${printable(reason)}: parked in '${parking}'`),
    quiet: () => out.line(` [.] No message for ${inactivity / 1000} s, still waiting`),
    // Idle means no message while connected: time spent reconnecting does not count.
    ...reconnectLines(console.error, idle),
  };
  const done = (received: number) => {
    progress?.done(received);
    if (idle?.signal.aborted) out.line(` [*] No message for ${config.idleMs! / 1000} s, stopping`);
    out.line(` [*] Done: ${received} messages`);
  };
  return { on, done };
}

export const main = (args: string[]): Promise<number> =>
  runMain({
    usage: USAGE,
    flags: FLAGS,
    async run({ flags, stop, out }) {
      // Flags into a configuration; then the loop, until Ctrl+C, SIGTERM, --max or --idle.
      const config = consumerConfig(flags);
      const idle = config.idleMs ? idleTimer(config.idleMs) : undefined;
      const lines = consumerLines(config, out, idle);
      try {
        const received = await runConsumer({
          ...config.loop,
          stop: idle ? AbortSignal.any([stop, idle.signal]) : stop,
          on: lines.on,
        });
        lines.done(received);
      } finally {
        idle?.clear();
      }
    },
  }, args);

/** What the queue found does not allow, as one line, before the broker closes anything. */
function checkQueue(
  found: DeclaredQueue,
  flags: {
    style: string;
    noAck: boolean;
    prefetch: number;
    requeueOnce: boolean;
    offset?: unknown;
  },
): void {
  if (found.type !== "stream") {
    if (flags.offset === undefined) return;
    throw new UsageError(`Cannot use --offset on '${found.name}': it is not a stream`);
  }
  const problem = flags.style === "get"
    ? "--style get: a stream has no basic.get, it is read by a consumer (callback or iterator)"
    : flags.noAck
    ? "--auto-ack: a stream is read with manual acks"
    : flags.prefetch === 0
    ? "--prefetch 0: a stream needs a prefetch of 1 or more"
    : flags.requeueOnce
    ? "--requeue-once: a stream keeps every message, there is nothing to requeue"
    : undefined;
  if (problem) throw new UsageError(`Cannot read the stream '${found.name}' with ${problem}`);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
