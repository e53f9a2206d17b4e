// Shared test helpers: a broker connection, unique queues, and scripts run as real processes.

import { basicConsume, basicPublishConfirmed, declareQueue, resolveUrl } from "../lib/mod.ts";
import { withChannel as withLibChannel } from "../lib/mod.ts";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";

/** The broker every test talks to: `AMQP_URL`, else the default. */
export const BROKER_URL = resolveUrl();

/** A queue name no other test (or run) uses. */
export function uniqueQueue(label: string): string {
  return `test.${label}.${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` on a fresh channel and closes the connection afterwards. */
export function withChannel<T>(
  fn: (channel: AMQPChannel) => Promise<T>,
  url = BROKER_URL,
): Promise<T> {
  return withLibChannel(fn, { url, name: "tests" });
}

/**
 * Ready messages in `queue`, as the broker counts them. Once no consumer is connected, unacked
 * messages have gone back to ready, so this is everything the queue still holds.
 */
export function depth(queue: string, url = BROKER_URL): Promise<number> {
  return withChannel(
    async (channel) => (await channel.queueDeclare(queue, { passive: true })).messageCount,
    url,
  );
}

/** Declares `queue` as the scripts do and puts `count` messages "0".."count-1" in it. */
export function fill(queue: string, count: number, url = BROKER_URL): Promise<number> {
  return withChannel(async (channel) => {
    await declareQueue(channel, queue);
    const bodies = Array.from({ length: count }, (_, i) => String(i));
    return await basicPublishConfirmed(channel, queue, bodies);
  }, url);
}

/** Takes every message out of `queue` (basic.get, then ack) and returns them in order. */
export function drain(
  queue: string,
  url = BROKER_URL,
): Promise<{ body: string; redelivered: boolean }[]> {
  return withChannel(async (channel) => {
    const taken: { body: string; redelivered: boolean }[] = [];
    let message;
    while ((message = await channel.basicGet(queue, { noAck: false }))) {
      taken.push({ body: message.bodyString() ?? "", redelivered: message.redelivered });
      await message.ack(false);
    }
    return taken;
  }, url);
}

/**
 * Takes every message out of `queue` quickly (auto-ack consumer, no limit) and returns the
 * bodies in order; for queues of many thousands, where `drain`'s round trip per message is slow.
 */
export function drainFast(queue: string, url = BROKER_URL): Promise<string[]> {
  return withChannel(async (channel) => {
    const expected = (await channel.queueDeclare(queue, { passive: true })).messageCount;
    const bodies: string[] = [];
    if (expected === 0) return bodies;
    const stop = new AbortController();
    await basicConsume(channel, queue, (message) => {
      bodies.push(message.bodyString() ?? "");
      if (bodies.length === expected) stop.abort();
    }, { noAck: true, signal: stop.signal });
    return bodies;
  }, url);
}

/** Deletes `queue` and its parking queue `QUEUE.dead`, so each test leaves nothing behind. */
export function deleteQueue(queue: string, url = BROKER_URL): Promise<unknown> {
  return withChannel(async (channel) => {
    for (const name of [queue, `${queue}.dead`]) {
      await channel.queueDelete(name, { ifUnused: false, ifEmpty: false });
    }
  }, url);
}

/** `0`..`count-1` as strings: the bodies the producer sends. */
export function numbers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(i));
}

const brokerAddress = (() => {
  const url = new URL(BROKER_URL);
  return `${url.hostname}:${url.port || (url.protocol === "amqps:" ? 5671 : 5672)}`;
})();

/** How a script is started: extra environment, and what it may reach or read. */
export interface ScriptOptions {
  env?: Record<string, string>;
  /** `--allow-net` value, `true` for any host. Default: the test broker's host:port. */
  allowNet?: string | true;
  /** `--allow-read` value. Default: none. */
  allowRead?: string;
}

/** Runs a script as the README does: narrow permissions, `AMQP_URL` set to the test broker. */
export function scriptCommand(script: string, args: string[], options: ScriptOptions = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      options.allowNet === true
        ? "--allow-net"
        : `--allow-net=${options.allowNet ?? brokerAddress}`,
      "--allow-env=AMQP_URL,AMQP_PASSWORD,AMQP_PASSWORD_FILE,AMQP_CA_FILE",
      ...(options.allowRead ? [`--allow-read=${options.allowRead}`] : []),
      new URL(`../${script}`, import.meta.url).pathname,
      ...args,
    ],
    env: { AMQP_URL: BROKER_URL, NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** What a finished script did. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** Runs `script` to completion. */
export async function run(
  script: string,
  args: string[],
  options?: ScriptOptions,
): Promise<Ran> {
  const started = performance.now();
  const { code, stdout, stderr } = await scriptCommand(script, args, options).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
    ms: performance.now() - started,
  };
}

/** Splits a byte stream into lines, handing each complete line to `onLine`. */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    parts.forEach(onLine);
  }
  if (partial) onLine(partial);
}

/**
 * Starts `script` and resolves once `ready(lines)` holds for the lines it has printed so far
 * (stdout and stderr, interleaved as they came); the caller then acts (signals it, restarts the
 * broker) and awaits `finished`, which holds the whole run.
 */
export async function runUntil(
  script: string,
  args: string[],
  ready: (lines: string[]) => boolean,
  options?: ScriptOptions,
): Promise<{ child: Deno.ChildProcess; finished: Promise<Ran> }> {
  const started = performance.now();
  const child = scriptCommand(script, args, options).spawn();
  const all: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let resolveReady!: () => void;
  let readyYet = false;
  const isReady = new Promise<void>((resolve) => resolveReady = resolve);
  const onLine = (into: string[]) => (line: string) => {
    into.push(line);
    all.push(line);
    if (!readyYet && ready(all)) {
      readyYet = true;
      resolveReady();
    }
  };
  const reading = Promise.all([
    readLines(child.stdout, onLine(out)),
    readLines(child.stderr, onLine(err)),
  ]);
  const finished = (async () => {
    const [{ code }] = await Promise.all([child.status, reading]);
    resolveReady();
    return {
      code,
      stdout: out.join("\n"),
      stderr: err.join("\n"),
      ms: performance.now() - started,
    };
  })();
  await Promise.race([isReady, finished]);
  return { child, finished };
}

/** The bodies of the ` [x] Received '…'` lines, in order (redeliveries included). */
export function received(stdout: string): string[] {
  return [...stdout.matchAll(/^ \[x\] Received '([^']*)'/gm)].map((match) => match[1]!);
}

/**
 * Runs `fn` with a fresh queue holding `count` messages "0".."count-1" (declared as the scripts
 * declare it), and deletes the queue afterwards, whatever happens.
 */
export async function withQueue(
  label: string,
  count: number,
  fn: (queue: string) => Promise<void>,
  url = BROKER_URL,
): Promise<void> {
  const queue = uniqueQueue(label);
  try {
    await fill(queue, count, url);
    await fn(queue);
  } finally {
    await deleteQueue(queue, url);
  }
}

/**
 * A local TCP port that accepts connections and never says a word: a dead or wrong peer.
 * `received` resolves to the bytes the client sent once the client closes its side; close the
 * listener when done.
 */
export function silentPeer(): { port: number; received: Promise<number> } & Disposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64);
    let bytes = 0;
    for (let read; (read = await conn.read(buffer)) !== null;) bytes += read;
    conn.close();
    return bytes;
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    [Symbol.dispose]: () => listener.close(),
  };
}
