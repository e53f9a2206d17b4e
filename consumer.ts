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

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { bodyText, connectedTo, declareQueue, forEachMessage, idleTimer } from "./lib/mod.ts";
import { bufferedLines, integerFlag, progressLine } from "./lib/mod.ts";
import { iterateMessages, maskUrl, onShutdownSignal, parkingQueue } from "./lib/mod.ts";
import { parkMessage, parseFlags, pollMessage, queueNameFlag } from "./lib/mod.ts";
import { queueTypeFlags, reconnectLines, reportFailure, resolveUrl } from "./lib/mod.ts";
import { messageOffset, parseStreamOffset, printable, secondsFlag, serve } from "./lib/mod.ts";
import { showBody } from "./lib/mod.ts";
import { type StreamOffset, streamOffsetArguments, UsageError } from "./lib/mod.ts";

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

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
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
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const { style } = flags;
    const queue = queueNameFlag("queue", flags.queue);
    const declare = queueTypeFlags(flags["queue-type"], flags.transient);
    if (!["callback", "get", "iterator"].includes(style)) {
      throw new UsageError(`Cannot use --style "${style}": expected callback, get or iterator`);
    }
    const noAck = flags["auto-ack"];
    if (noAck && flags["requeue-once"]) {
      throw new UsageError(
        "Cannot use --requeue-once with --auto-ack: auto-acked messages are gone",
      );
    }
    const prefetch = integerFlag("prefetch", flags.prefetch, 0);
    const inactivity = secondsFlag("inactivity", flags.inactivity);
    const workMs = secondsFlag("work", flags.work) ?? 0;
    const idleMs = secondsFlag("idle", flags.idle);
    const max = integerFlag("max", flags.max);
    const offset = flags.offset === undefined ? undefined : parseStreamOffset(flags.offset);
    const url = resolveUrl(flags.url);

    // Stop on Ctrl+C or SIGTERM, after --idle seconds of quiet, or after --max messages.
    // A line per message, written in batches; on a terminal, past the first 1000 messages, one
    // progress line instead (on stderr), so that a million lines do not scroll by.
    using out = bufferedLines(Deno.stdout);
    const tty = Deno.stdout.isTerminal();
    let progress: ReturnType<typeof progressLine> | undefined;
    using shutdown = onShutdownSignal({ onRepeat: () => (out.flush(), Deno.exit(130)) });
    const idle = idleMs ? idleTimer(idleMs) : undefined;
    const done = new AbortController();
    const signal = AbortSignal.any([shutdown.signal, done.signal, idle?.signal ?? done.signal]);
    const parking = parkingQueue(queue);
    let received = 0;

    // The work on one message: print it, then ack, since a message is only gone from the broker
    // once the work is done. A body that is not UTF-8 makes it throw: a poison message. Its
    // control characters are shown as escapes (unless --raw), so it cannot forge a line or
    // drive the terminal.
    const raw = flags.raw;
    const strict = parking !== undefined && !noAck; // else nothing could park it: show it
    const work = async (message: AMQPMessage) => {
      const body = strict
        ? `'${raw ? bodyText(message.body) : printable(bodyText(message.body))}'`
        : showBody(message.body, { raw });
      if (flags["requeue-once"] && !message.redelivered) {
        await message.nack(true, false);
        return out.line(` [x] Requeued ${body}`); // [x] Requeued '7'
      }
      const at = messageOffset(message);
      if (at !== undefined) nextOffset = at + 1; // a stream: a reconnect resumes after it
      const tag = message.redelivered
        ? " (redelivered)"
        : at === undefined
        ? ""
        : ` (offset ${at})`;
      if (tty && received >= 1000) {
        progress ??= (out.flush(), progressLine(Deno.stderr, "received"));
        progress.update(received + 1);
      } else out.line(` [x] Received ${body}${tag}`);
      if (workMs) await new Promise((resolve) => setTimeout(resolve, workMs));
      if (!noAck) await message.ack(false);
      if (++received === max) done.abort();
    };
    // A message whose work throws is parked in QUEUE.dead (a confirmed copy, then the ack):
    // not fatal, not requeued forever, and no dead-letter settings needed on a shared queue.
    const handle = async (message: AMQPMessage) => {
      idle?.reset();
      try {
        await work(message);
      } catch (error) {
        if (!parking || noAck || message.channel.closed) throw error;
        const reason = (error as Error).message;
        await parkMessage(message, { from: queue, queue: parking, reason, declare });
        console.error(` [!] ${printable(reason)}: parked in '${parking}'`);
      }
    };

    // One session per connection: after a broker restart it runs again on a new one.
    let announced = false;
    let nextOffset: StreamOffset | undefined = offset;
    const session = async (channel: AMQPChannel) => {
      // Whoever declares first makes the queue; one made by another program (Pika, the
      // official tutorials) is used as it is, with a line if it is weaker than ours.
      const { note, type } = await declareQueue(channel, queue, declare);
      // A stream's rules, checked here: the broker would close the channel or the connection.
      if (type === "stream") {
        checkStreamFlags(queue, { style, noAck, prefetch, requeueOnce: flags["requeue-once"] });
      } else if (offset !== undefined) {
        throw new UsageError(`Cannot use --offset on '${queue}': it is not a stream`);
      }
      const args = type === "stream" ? streamOffsetArguments(nextOffset ?? "first") : {};
      await channel.basicQos(prefetch, 0, false);
      if (!announced) {
        announced = true;
        if (note) console.error(` [!] ${note}`);
        out.line(
          ` [*] Waiting for messages in '${queue}' at ${
            connectedTo(channel.connection) ?? maskUrl(url)
          }. To exit press CTRL+C`,
        );
      }
      if (style === "get") {
        let message: AMQPMessage | null;
        while ((message = await pollMessage(channel, queue, { noAck, signal }))) {
          await handle(message);
        }
      } else if (style === "callback") {
        await forEachMessage(channel, queue, handle, { noAck, signal, arguments: args });
      } else {
        const inactivityTimeout = inactivity;
        for await (
          const message of iterateMessages(channel, queue, {
            noAck,
            inactivityTimeout,
            signal,
            arguments: args,
          })
        ) {
          if (message) await handle(message);
          else out.line(` [.] No message for ${inactivity / 1000} s, still waiting`);
        }
      }
    };
    try {
      await serve(session, {
        url,
        caFile: flags.ca,
        name: `consumer.ts --style ${style}`,
        signal,
        // Idle means no message while connected: time spent reconnecting does not count.
        ...reconnectLines(console.error, idle),
      });
    } finally {
      idle?.clear();
    }
    progress?.done(received);
    if (idle?.signal.aborted) out.line(` [*] No message for ${idleMs! / 1000} s, stopping`);
    out.line(` [*] Done: ${received} messages`);
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

/** What a stream does not allow, as one line each, before the broker closes anything. */
function checkStreamFlags(
  queue: string,
  flags: { style: string; noAck: boolean; prefetch: number; requeueOnce: boolean },
): void {
  const problem = flags.style === "get"
    ? "--style get: a stream has no basic.get, it is read by a consumer (callback or iterator)"
    : flags.noAck
    ? "--auto-ack: a stream is read with manual acks"
    : flags.prefetch === 0
    ? "--prefetch 0: a stream needs a prefetch of 1 or more"
    : flags.requeueOnce
    ? "--requeue-once: a stream keeps every message, there is nothing to requeue"
    : undefined;
  if (problem) throw new UsageError(`Cannot read the stream '${queue}' with ${problem}`);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
