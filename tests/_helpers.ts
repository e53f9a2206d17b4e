// Shared test helpers: a broker connection, unique queues, and scripts run as real processes.

import { declareQueue, forEachMessage, publishWithConfirms, resolveUrl } from "../lib/mod.ts";
import { brokerAddresses, brokerUrls } from "../lib/mod.ts";
import { ctlEnv } from "../tools/private_broker.ts";
import { ROOT, scriptArgv, type ScriptPermissions } from "../tools/_scripts.ts";
import type { DeclareQueueOptions } from "../lib/mod.ts";
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

/** Resolves once `done()` holds, checking every 20 ms; fails after `ms`, naming `what`. */
export async function until(done: () => boolean | Promise<boolean>, what: string, ms = 60_000) {
  const deadline = performance.now() + ms;
  while (!await done()) {
    if (performance.now() >= deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * {@linkcode depth}, asked again until it is `expected` or 5 s have passed: a quorum queue takes
 * back a closed channel's unacked messages a moment after the close. The last figure is the result.
 */
export async function settledDepth(
  queue: string,
  expected: number,
  url = BROKER_URL,
): Promise<number> {
  let figure = -1;
  await until(async () => (figure = await depth(queue, url)) === expected, "", 5000)
    .catch(() => {});
  return figure;
}

/**
 * Declares `queue` as the scripts do (by default a durable quorum queue) and puts `count`
 * messages "0".."count-1" in it.
 */
export function fill(
  queue: string,
  count: number,
  url = BROKER_URL,
  declare?: DeclareQueueOptions,
): Promise<number> {
  return withChannel(async (channel) => {
    await declareQueue(channel, queue, declare);
    const bodies = Array.from({ length: count }, (_, i) => String(i));
    return await publishWithConfirms(channel, queue, bodies);
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
    await forEachMessage(channel, queue, (message) => {
      bodies.push(message.bodyString() ?? "");
      if (bodies.length === expected) stop.abort();
    }, { noAck: true, stop: stop.signal });
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

/**
 * The test broker's `host:port` (each broker's, comma-separated, for a list): what a script run
 * by a test may reach (`--allow-net`).
 */
export const BROKER_ADDRESS = brokerAddresses(BROKER_URL).join(",");

/**
 * Runs `rabbitmqctl` against the test broker's node: the private node tools/with_broker.ts
 * started (it names it in `RABBITMQ_TEST_NODE`, `RABBITMQ_TEST_HOME`, `RABBITMQ_TEST_BIN`), else
 * the local default node.
 */
export async function rabbitmqctl(...args: string[]): Promise<Ran> {
  const node = Deno.env.get("RABBITMQ_TEST_NODE");
  const bin = Deno.env.get("RABBITMQ_TEST_BIN");
  const home = Deno.env.get("RABBITMQ_TEST_HOME");
  const argv = node ? [`${bin}/rabbitmqctl`, "-n", node, ...args] : ["rabbitmqctl", ...args];
  return await runCommand(argv, {
    env: home ? ctlEnv(home) : {},
  });
}

/**
 * Runs `fn` with the URL of a virtual host of its own on the test broker, removed afterwards
 * with everything in it: for commands that use fixed names (`hello`, `task_queue`) and so cannot
 * be given unique ones.
 */
export async function withVhost(fn: (url: string) => Promise<void>): Promise<void> {
  const vhost = `test-${crypto.randomUUID().slice(0, 8)}`;
  const added = await rabbitmqctl("-q", "add_vhost", vhost);
  if (added.code !== 0) throw new Error(`rabbitmqctl add_vhost failed: ${added.stderr.trim()}`);
  try {
    const user = decodeURIComponent(new URL(brokerUrls(BROKER_URL)[0]!).username) || "guest";
    await rabbitmqctl("-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*");
    const urls = brokerUrls(BROKER_URL).map((entry) => {
      const url = new URL(entry);
      url.pathname = `/${vhost}`;
      return url.href;
    });
    await fn(urls.join(","));
  } finally {
    await rabbitmqctl("-q", "delete_vhost", vhost);
  }
}

export { ROOT } from "../tools/_scripts.ts";

/** How a script is started: extra environment, and what it may reach or read. */
export interface ScriptOptions extends Omit<ScriptPermissions, "url" | "deno"> {
  env?: Record<string, string>;
}

/**
 * The `deno run` command line for a script, as the README runs it: narrow permissions, the test
 * broker's address by default.
 */
export function scriptArgs(script: string, args: string[], options: ScriptOptions = {}): string[] {
  const { env: _env, ...permissions } = options;
  return scriptArgv(script, args, { allowNet: BROKER_ADDRESS, ...permissions });
}

/** How a command is started: its environment (added to `AMQP_URL`) and its process group. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * Start it as the leader of a process group of its own (`setsid`), as a terminal starts a
   * foreground job, so that {@linkcode signalGroup} reaches it and all its children at once.
   */
  ownGroup?: boolean;
  /** Hears every line as it comes, stdout and stderr alike. Default: none. */
  onLine?: (line: string) => void;
}

function command(argv: string[], options: SpawnOptions = {}): Deno.Command {
  const [program, ...args] = options.ownGroup ? ["setsid", ...argv] : argv;
  return new Deno.Command(program!, {
    args,
    cwd: ROOT,
    env: { AMQP_URL: BROKER_URL, NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Sends `signal` to the process group `child` leads (started with `ownGroup`): what a terminal
 * does with Ctrl+C, which reaches `deno task` and the script it runs alike.
 */
export function signalGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error; // the group has already exited
  }
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
export function run(script: string, args: string[], options?: ScriptOptions): Promise<Ran> {
  return runCommand(scriptArgs(script, args, options), { env: options?.env });
}

/** Runs any command line (`["deno", "task", "consume"]`) in the repository to completion. */
export async function runCommand(argv: string[], options?: SpawnOptions): Promise<Ran> {
  const started = performance.now();
  const { code, stdout, stderr } = await command(argv, options).output();
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
export function runUntil(
  script: string,
  args: string[],
  ready: (lines: string[]) => boolean,
  options?: ScriptOptions & SpawnOptions,
): Promise<{ child: Deno.ChildProcess; finished: Promise<Ran> }> {
  return runCommandUntil(scriptArgs(script, args, options), ready, options);
}

/** {@linkcode runUntil} for any command line. */
export async function runCommandUntil(
  argv: string[],
  ready: (lines: string[]) => boolean,
  options?: SpawnOptions,
): Promise<{ child: Deno.ChildProcess; finished: Promise<Ran> }> {
  const started = performance.now();
  const child = command(argv, options).spawn();
  const all: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let resolveReady!: () => void;
  let readyYet = false;
  const isReady = new Promise<void>((resolve) => resolveReady = resolve);
  const onLine = (into: string[]) => (line: string) => {
    into.push(line);
    all.push(line);
    options?.onLine?.(line);
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
 * declare it, or as `declare` says), and deletes the queue afterwards, whatever happens.
 */
export async function withQueue(
  label: string,
  count: number,
  fn: (queue: string) => Promise<void>,
  url = BROKER_URL,
  declare?: DeclareQueueOptions,
): Promise<void> {
  const queue = uniqueQueue(label);
  try {
    await fill(queue, count, url, declare);
    await fn(queue);
  } finally {
    await deleteQueue(queue, url);
  }
}

/** Runs `fn` with a fresh queue name, and deletes that queue and `NAME.dead` afterwards. */
export async function withQueueName(
  label: string,
  fn: (queue: string) => Promise<void>,
  url = BROKER_URL,
): Promise<void> {
  const queue = uniqueQueue(label);
  try {
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

/**
 * A TCP proxy on a free local port to 127.0.0.1:`target`. `cut()` closes the connections open
 * through it, as a network failure would; `refuse(ms)` also turns new ones away for that long;
 * `hold(ms)` lets new ones wait that long before anything passes, as a slow network would.
 */
export function tcpProxy(
  target: number,
):
  & { port: number; url: string; cut(): void; refuse(ms: number): void; hold(ms: number): void }
  & Disposable {
  let listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  let disposed = false;
  let heldUntil = 0;
  const serve = async (on: Deno.Listener) => {
    for await (const client of on) {
      const wait = heldUntil - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const server = await Deno.connect({ hostname: "127.0.0.1", port: target }).catch(() => null);
      if (!server) {
        client.close();
        continue;
      }
      open.add(client).add(server);
      client.readable.pipeTo(server.writable).catch(() => {});
      server.readable.pipeTo(client.writable).catch(() => {});
    }
  };
  serve(listener).catch(() => {});
  const cut = () => {
    for (const conn of open) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    open.clear();
  };
  return {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    cut,
    hold(ms: number) {
      heldUntil = performance.now() + ms;
    },
    refuse(ms: number) {
      cut();
      listener.close();
      setTimeout(() => {
        if (disposed) return;
        listener = Deno.listen({ hostname: "127.0.0.1", port });
        serve(listener).catch(() => {});
      }, ms);
    },
    [Symbol.dispose]() {
      disposed = true;
      cut();
      try {
        listener.close();
      } catch { /* already closed */ }
    },
  };
}

/**
 * Watches every process's command line (`/proc/PID/cmdline`, readable by any local user) every
 * 10 ms for any of `secrets`, until `stop()`, which returns each command line seen with one.
 */
export function watchArgv(secrets: string[]): { stop(): string[] } {
  const seen = new Set<string>();
  const scan = () => {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const argv = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
        if (secrets.some((secret) => argv.includes(secret))) seen.add(argv);
      } catch {
        // gone, or not ours to read
      }
    }
  };
  const timer = setInterval(scan, 10);
  return {
    stop() {
      clearInterval(timer);
      scan();
      return [...seen];
    },
  };
}

/** Every listening TCP socket: its local address and the pid that holds it. */
export async function listeners(): Promise<{ address: string; pid: number }[]> {
  const { stdout } = await new Deno.Command("ss", { args: ["-ltnpH"] }).output();
  return new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const address = line.trim().split(/\s+/)[3];
    return address ? [...line.matchAll(/pid=(\d+)/g)].map((m) => ({ address, pid: +m[1]! })) : [];
  });
}
