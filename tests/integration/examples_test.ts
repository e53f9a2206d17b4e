// The article's sections as snippets (examples/): each is standalone, so each is tested as a
// reader uses it: copied alone into an empty folder outside the repository (no deno.json, no
// lib/), and run there with exactly the command its header shows, against the test broker in a
// virtual host of its own (they all use the queue `hello`).

import { deepEqual, doesNotMatch, match, ok } from "node:assert/strict";
import { type AMQPChannel, AMQPClient } from "npm:@cloudamqp/amqp-client@4.1.1";
import { BROKER_ADDRESS, rabbitmqctl, received, ROOT, runCommand } from "../_helpers.ts";
import { runCommandUntil, signalGroup, withVhost } from "../_helpers.ts";
import type { Ran } from "../_helpers.ts";

const EXAMPLES = ["connect", "send", "receive_get", "receive_callback", "receive_iterator"];
/** The one module an example may import: the client library, pinned. */
const CLIENT = "npm:@cloudamqp/amqp-client@4.1.1";
/** The address every header command grants. */
const DOCUMENTED = "127.0.0.1:5672";

/** The run command in the header of `source`, the text of examples/NAME.ts. */
function headerCommand(source: string): string | undefined {
  const header = source.match(/^\/\*\*[\s\S]*?\*\//)?.[0] ?? "";
  return header.match(/^ \* {5}(deno run .*)$/m)?.[1];
}

/** An example copied alone into a fresh temporary folder; removed on dispose. */
interface Copy extends AsyncDisposable {
  name: string;
  dir: string;
  /** The header command, for the copy: the file's base name, run in `dir`. */
  command: string;
}

async function copyAlone(name: string): Promise<Copy> {
  const source = `${ROOT}examples/${name}.ts`;
  const command = headerCommand(await Deno.readTextFile(source));
  ok(command, `examples/${name}.ts shows no run command`);
  const dir = await Deno.makeTempDir({ prefix: `example-${name}-` });
  await Deno.copyFile(source, `${dir}/${name}.ts`);
  return {
    name,
    dir,
    command: command.replace(`examples/${name}.ts`, `${name}.ts`),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * The argv that runs `copy`'s command in its folder through a shell, as a reader whose broker
 * is at `address` runs it: `--allow-net` widened to that address, as tests/_commands.ts does.
 */
function shell(copy: Copy, address = BROKER_ADDRESS): string[] {
  const command = copy.command.replace(`--allow-net=${DOCUMENTED}`, `--allow-net=${address}`);
  return ["bash", "-c", `cd "$0" && exec ${command}`, copy.dir];
}

/** Runs a copied example to completion with `AMQP_URL` set to `url`. */
function run(copy: Copy, url: string, address?: string): Promise<Ran> {
  return runCommand(shell(copy, address), { env: { AMQP_URL: url } });
}

/**
 * Starts a long-running copied example in a process group of its own, as a terminal starts a
 * job, and resolves once it waits for messages; `onLine` hears each line with its time.
 */
function start(copy: Copy, url: string, onLine: (line: string, at: number) => void = () => {}) {
  return runCommandUntil(
    shell(copy),
    (lines) => lines.some((line) => line.includes("Waiting for messages")),
    { env: { AMQP_URL: url }, ownGroup: true, onLine: (line) => onLine(line, performance.now()) },
  );
}

/** Resolves once `count` lines matching `pattern` were heard; rejects after `ms`. */
function lines(pattern: RegExp, count: number, ms = 15_000) {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const timer = setTimeout(() => reject(new Error(`no ${count} lines like ${pattern}`)), ms);
  let seen = 0;
  const onLine = (line: string) => {
    if (pattern.test(line) && ++seen === count) resolve();
  };
  return { heard: promise.finally(() => clearTimeout(timer)), onLine };
}

/** The first broker of the vhost URL `url`: the examples take one URL, not a list. */
const first = (url: string) => url.split(",")[0]!;

/** The vhost a URL names. */
const vhostOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/** Runs `fn` on a channel of its own connection to `url` (the client the examples use). */
async function onChannel<T>(url: string, fn: (channel: AMQPChannel) => Promise<T>): Promise<T> {
  const connection = new AMQPClient(url);
  await connection.connect();
  try {
    return await fn(await connection.channel());
  } finally {
    await connection.close();
  }
}

/** Messages ready in `hello` (a passive queue.declare); unacked ones are back once no one consumes. */
const depth = (url: string) =>
  onChannel(
    url,
    async (channel) => (await channel.queueDeclare("hello", { passive: true })).messageCount,
  );

/** Publishes `bodies` to `hello`, declared as the examples declare it, each confirmed. */
const publish = (url: string, bodies: string[]) =>
  onChannel(url, async (channel) => {
    await channel.queueDeclare("hello", { durable: true }, { "x-queue-type": "quorum" });
    await channel.confirmSelect();
    await Promise.all(bodies.map((body) => channel.basicPublish("", "hello", body)));
  });

Deno.test("examples/ are standalone snippets: the client library only, 20-45 lines, a header with the run command, expected output", async () => {
  for (const name of EXAMPLES) {
    const source = await Deno.readTextFile(`${ROOT}examples/${name}.ts`);
    const count = source.trimEnd().split("\n").length;
    ok(count >= 20 && count <= 45, `examples/${name}.ts has ${count} lines`);
    const imports = [...source.matchAll(/^\s*(?:import|export)\b[^"';]*["']([^"']+)["']/gm)];
    deepEqual(imports.map((m) => m[1]), [CLIENT], `examples/${name}.ts imports`);
    doesNotMatch(source, /\bimport\s*\(/, `examples/${name}.ts imports dynamically`);
    match(source, /^\/\*\*\n \* # \S.*\n \*\n/, `examples/${name}.ts has no titled header`);
    deepEqual(
      headerCommand(source),
      `deno run --allow-net=${DOCUMENTED} --allow-env=AMQP_URL examples/${name}.ts`,
    );
    match(source, /\/\/ \[[x*.]\] /, `examples/${name}.ts shows no expected output`);
  }
});

Deno.test("examples/ each type-check alone, in an empty folder outside the repository", async () => {
  for (const name of EXAMPLES) {
    await using copy = await copyAlone(name);
    ok(!copy.dir.startsWith(ROOT), copy.dir);
    const checked = await runCommand([
      "bash",
      "-c",
      `cd "$0" && exec deno check ${name}.ts`,
      copy.dir,
    ]);
    deepEqual(checked.code, 0, `${name}: ${checked.stderr}`);
  }
});

Deno.test("examples/connect.ts, copied alone: one connection, two channels, the password masked", () =>
  withVhost(async (vhostUrl) => {
    const url = first(vhostUrl);
    await using connect = await copyAlone("connect");
    const ran = await run(connect, url);
    deepEqual([ran.code, ran.stderr], [0, ""]);
    deepEqual(ran.stdout.split("\n").filter(Boolean), [
      ` [*] Connected to ${url.replace(/:[^:@/]*@/, ":****@")}`,
      " [*] Channels 1 and 2, one connection",
      " [*] Closed",
    ]);
  }));

Deno.test("examples/send.ts then receive_get.ts, copied alone: it drains exactly what was sent and exits 0", () =>
  withVhost(async (vhostUrl) => {
    const url = first(vhostUrl);
    await using send = await copyAlone("send");
    await using receiveGet = await copyAlone("receive_get");
    for (let i = 0; i < 3; i++) {
      const sent = await run(send, url);
      deepEqual([sent.code, sent.stdout, sent.stderr], [0, " [x] Sent 'Hello World!'\n", ""]);
    }
    deepEqual(await depth(url), 3);
    const got = await run(receiveGet, url);
    deepEqual([got.code, got.stderr], [0, ""]);
    deepEqual(received(got.stdout), ["Hello World!", "Hello World!", "Hello World!"]);
    match(got.stdout, / \[\*\] No more messages\n$/);
    deepEqual(await depth(url), 0);
    // An empty queue: nothing to print, still exit 0.
    const again = await run(receiveGet, url);
    deepEqual([again.code, again.stdout, again.stderr], [0, " [*] No more messages\n", ""]);
    const queues = await rabbitmqctl("-q", "list_queues", "-p", vhostOf(url), "name", "type");
    match(queues.stdout, /^hello\s+quorum$/m, "hello is declared durable and quorum");
  }));

Deno.test("examples/ use a hello made with other settings as it is (the 406 is not an error)", () =>
  withVhost(async (vhostUrl) => {
    const url = first(vhostUrl);
    await onChannel(url, (channel) => channel.queueDeclare("hello", { durable: false }));
    await using send = await copyAlone("send");
    await using receiveGet = await copyAlone("receive_get");
    const sent = await run(send, url);
    deepEqual([sent.code, sent.stderr], [0, ""]);
    deepEqual(await depth(url), 1);
    const got = await run(receiveGet, url);
    deepEqual([got.code, got.stderr, received(got.stdout)], [0, "", ["Hello World!"]]);
    const queues = await rabbitmqctl(
      "-q",
      "list_queues",
      "-p",
      vhostOf(url),
      "name",
      "type",
      "durable",
    );
    match(queues.stdout, /^hello\s+classic\s+false$/m, "hello is left as it was");
  }));

Deno.test("examples/receive_callback.ts, copied alone: acks each message once printed, escapes control characters, exits 0 on Ctrl+C", () =>
  withVhost(async (vhostUrl) => {
    const url = first(vhostUrl);
    await using receiveCallback = await copyAlone("receive_callback");
    const three = lines(/^ \[x\] Received /, 3);
    const { child, finished } = await start(receiveCallback, url, three.onLine);
    await publish(url, ["one", "two\x1b]0;pwned\x07", "\u202eevil\n [x] Received 'forged'"]);
    await three.heard;
    signalGroup(child, "SIGINT");
    const { code, stdout, stderr } = await finished;
    deepEqual([code, stderr], [0, ""]);
    deepEqual(stdout.split("\n").filter((line) => line.startsWith(" [x] ")), [
      " [x] Received 'one'",
      " [x] Received 'two\\u{1b}]0;pwned\\u{7}'",
      " [x] Received '\\u{202e}evil\\u{a} [x] Received 'forged''",
    ]);
    const controls = [...stdout].filter((c) => "\x1b\x07\u202e".includes(c));
    deepEqual(controls, [], "a control character reached the terminal");
    deepEqual(await depth(url), 0, "nothing left unacked");
  }));

Deno.test("examples/receive_iterator.ts, copied alone: a null after 5 quiet seconds, exits 0 on Ctrl+C", () =>
  withVhost(async (vhostUrl) => {
    const url = first(vhostUrl);
    await using receiveIterator = await copyAlone("receive_iterator");
    await using send = await copyAlone("send");
    // Every line with its time; `quiet` once a null has come after both messages.
    const heard: { line: string; at: number }[] = [];
    const quiet = lines(/^ \[\.\] No message for 5 s/, 1, 20_000);
    const { child, finished } = await start(receiveIterator, url, (line, at) => {
      heard.push({ line, at });
      if (received(heard.map((h) => h.line).join("\n")).length === 2) quiet.onLine(line);
    });
    for (let i = 0; i < 2; i++) deepEqual((await run(send, url)).code, 0);
    await quiet.heard;
    signalGroup(child, "SIGINT");
    const { code, stdout, stderr } = await finished;
    deepEqual([code, stderr], [0, ""]);
    deepEqual(received(stdout), ["Hello World!", "Hello World!"]);
    const last = heard.findLast(({ line }) => line.startsWith(" [x] Received"))!.at;
    const nothing = heard.find(({ line, at }) => line.startsWith(" [.] ") && at > last)!.at;
    ok(nothing - last >= 4500, `the null came ${nothing - last} ms after the last message`);
    deepEqual(await depth(url), 0, "nothing left unacked");
  }));

Deno.test("examples/receive_callback.ts and receive_iterator.ts: Ctrl+C mid-stream finishes the message in hand, and no printed message stays in the queue", async (t) => {
  for (const name of ["receive_callback", "receive_iterator"]) {
    await t.step(name, () =>
      withVhost(async (vhostUrl) => {
        const url = first(vhostUrl);
        const total = 1000;
        await publish(url, Array.from({ length: total }, (_, i) => String(i)));
        await using copy = await copyAlone(name);
        const some = lines(/^ \[x\] Received /, 5);
        const { child, finished } = await start(copy, url, some.onLine);
        await some.heard;
        signalGroup(child, "SIGINT");
        const { code, stdout, stderr } = await finished;
        deepEqual([code, stderr], [0, ""]);
        const bodies = received(stdout);
        ok(bodies.length >= 5 && bodies.length < total, `${bodies.length} received`);
        deepEqual(bodies, bodies.map((_, i) => String(i)), "in order, none twice");
        // Each printed message was acked, each other one went back: none lost, none kept.
        deepEqual(await depth(url), total - bodies.length);
      }));
  }
});

Deno.test("examples/, copied alone: an unreachable or unparsable AMQP_URL is one stderr line and exit 1, never the password", async () => {
  const secret = "s3,cr/et@x9";
  const encoded = encodeURIComponent(secret);
  const traces = [secret, encoded, "cr/et", "cr%2Fet", "et@x9", "et%40x9"];
  const address = "127.0.0.1:1,127.0.0.1:2"; // nothing listens there
  const urls = [
    "amqp://guest:guest@127.0.0.1:1",
    `amqp://alice:${encoded}@127.0.0.1:1`,
    `amqp://alice:${encoded}@127.0.0.1:1,127.0.0.1:2`,
    `amqp://alice:${secret}@127.0.0.1:1,127.0.0.1:2`,
  ];
  for (const name of EXAMPLES) {
    await using copy = await copyAlone(name);
    for (const url of urls) {
      const ran = await run(copy, url, address);
      const what = `${name} with ${url.replace(/:[^:]*@/, ":…@")}`;
      deepEqual(ran.code, 1, `${what}: exit ${ran.code}\n${ran.stdout}${ran.stderr}`);
      deepEqual(ran.stdout, "", what);
      deepEqual(ran.stderr.trimEnd().split("\n").length, 1, `${what}: ${ran.stderr}`);
      match(ran.stderr, /^ \[!\] (connect ECONNREFUSED 127\.0\.0\.1:1|Invalid URL: )/, what);
      for (const trace of traces) ok(!ran.stderr.includes(trace), `${what} printed "${trace}"`);
    }
  }
});
