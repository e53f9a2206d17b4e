// What the patterns share. The log patterns (publish/subscribe, routing, topics): an emitter
// that sends one message to an exchange of a kind, and a receiver that binds a queue of its own
// to it with the keys given and prints what arrives. Each pattern's file says which kind, which
// exchange, and what its keys are; the official tutorials' twins (emit_log_direct/
// emit_log_topic, …) differ in no more. And the consumers of a shared queue (the work queues'
// worker, the RPC server): one message at a time, acked once its work is done.

import { brokerOptions, declareExchange, type ExchangeKind, printable } from "../lib/mod.ts";
import { reconnectLines, runMain, sendOne, showBody, subscribe } from "../lib/mod.ts";
import { type ConsumerEvents, queueNameFlag, queueTypeFlags, runConsumer } from "../lib/mod.ts";

/** A log pattern's script: its name, usage, exchange, and what its arguments are. */
export interface LogScript {
  /** The file's name, for `--help`, errors and the connection's name. */
  name: string;
  /** The `--help` text. */
  usage: string;
  kind: ExchangeKind;
  /** The exchange's default name (`--exchange`). */
  exchange: string;
  /** The routing keys (emit: the first argument) or binding keys (receive), if it takes any. */
  keys?: { name: string; example: string };
}

/** An emitter's main: sends `[KEY] MESSAGE...` (default `fallback`) to the exchange. */
export function logEmitter(script: LogScript, fallback: string) {
  return (args: string[]): Promise<number> =>
    runMain({
      usage: script.usage,
      flags: { exchange: { type: "string", default: script.exchange }, url: { type: "string" } },
      positionals: script.keys ? { name: script.keys.name, required: script.keys.example } : {
        name: "MESSAGE",
      },
      async run({ flags, positionals, out }) {
        const [key, ...words] = script.keys ? positionals : ["", ...positionals];
        const message = words.join(" ") || fallback;
        // Declared as the official tutorials declare it (not durable), so theirs is the same;
        // confirmed, so "Sent" means the broker has routed it.
        await sendOne(key!, message, {
          exchange: flags.exchange,
          properties: {},
          connect: brokerOptions(flags, script.name),
          prepare: (channel) => declareExchange(channel, flags.exchange, script.kind),
        });
        out.line(script.keys ? ` [x] Sent '${key}':'${message}'` : ` [x] Sent '${message}'`);
      },
    }, args);
}

/** A receiver's main: prints what the exchange routes with the keys given, until Ctrl+C. */
export function logReceiver(script: LogScript) {
  return (args: string[]): Promise<number> =>
    runMain({
      usage: script.usage,
      flags: {
        exchange: { type: "string", default: script.exchange },
        url: { type: "string" },
        raw: { type: "boolean", default: false },
      },
      positionals: script.keys && { name: script.keys.name, required: script.keys.example },
      run: ({ flags, positionals, stop, out }) =>
        // A queue of its own, bound once per key (a fanout exchange ignores keys), gone when
        // this receiver stops; auto-ack, as the tutorials do.
        subscribe(flags.exchange, script.kind, script.keys ? positionals : [""], (message) => {
          const body = showBody(message.body, flags);
          const key = flags.raw ? message.routingKey : printable(message.routingKey);
          out.line(script.keys ? ` [x] ${key}:${body}` : ` [x] ${body}`);
        }, {
          connect: brokerOptions(flags, script.name),
          stop,
          ready: () => out.line(" [*] Waiting for logs. To exit press CTRL+C"),
          on: reconnectLines(console.error),
        }),
    }, args);
}

/**
 * Consumes a shared queue (`--queue`, used as found, else created as `--queue-type`) one message
 * at a time, each acked once `on.message` resolves, across reconnects, until `options.stop`;
 * `on.ready` once the queue is declared.
 */
export function serveQueue(
  flags: { queue: string; "queue-type": string; url?: string },
  on: Pick<ConsumerEvents, "message" | "parked"> & { ready: () => void },
  options: { name: string; stop: AbortSignal },
): Promise<number> {
  const { ready, ...work } = on;
  return runConsumer({
    queue: queueNameFlag("queue", flags.queue),
    declare: queueTypeFlags(flags["queue-type"], false), // shared with its Python twin: as found
    style: "callback",
    noAck: false, // the ack comes only once the work is done
    prefetch: 1, // no new message until this one is acked: each goes to a free consumer
    connect: brokerOptions(flags, options.name),
    stop: options.stop,
    on: {
      declared: ({ note }) => {
        if (note) console.error(` [!] ${note}`);
        ready();
      },
      ...work,
      ...reconnectLines(console.error),
    },
  });
}
