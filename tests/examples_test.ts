// The article's sections as snippets (examples/): each run as a process with the permissions
// its header shows, in a virtual host of its own (they all use the queue `hello`), and each
// copied into an empty folder next to lib/, as a reader would copy it.

import { deepEqual, match, ok } from "node:assert/strict";
import { basicPublishConfirmed, connect } from "../lib/mod.ts";
import {
  received,
  ROOT,
  runCommand,
  runCommandUntil,
  scriptArgs,
  signalGroup,
  withVhost,
} from "./_helpers.ts";

const EXAMPLES = ["connect", "send", "receive_get", "receive_callback", "receive_iterator"];
const NARROW = { allowNet: "127.0.0.1:5672" };

/** Runs `examples/NAME.ts` (or the same file in `folder`) to completion. */
const example = (url: string, name: string, folder = "examples") =>
  runCommand(scriptArgs(`${folder}/${name}.ts`, [], NARROW), { env: { AMQP_URL: url } });

/** Starts a long-running example in its own process group; resolves once it waits. */
const startExample = (url: string, name: string) =>
  runCommandUntil(
    scriptArgs(`examples/${name}.ts`, [], NARROW),
    (lines) => lines.some((line) => line.includes("Waiting for messages")),
    { env: { AMQP_URL: url }, ownGroup: true },
  );

/** Messages ready in `queue` of the vhost at `url`. */
async function depthAt(url: string, queue: string): Promise<number> {
  const connection = await connect({ url });
  try {
    const channel = await connection.channel();
    return (await channel.queueDeclare(queue, { passive: true })).messageCount;
  } finally {
    await connection.close();
  }
}

Deno.test("examples/ are short: about 20-40 lines, a header with the run command, expected output", async () => {
  for (const name of EXAMPLES) {
    const source = await Deno.readTextFile(`${ROOT}examples/${name}.ts`);
    const lines = source.trimEnd().split("\n").length;
    ok(lines >= 20 && lines <= 50, `examples/${name}.ts has ${lines} lines`);
    match(source, new RegExp(`^ \\*     deno run .* examples/${name}\\.ts$`, "m"));
    match(source, /\/\/ \[[x*.]\] /, `examples/${name}.ts shows no expected output`);
  }
});

Deno.test("examples: connect, send, then receive_get drains the queue and exits", () =>
  withVhost(async (url) => {
    const connected = await example(url, "connect");
    deepEqual([connected.code, connected.stderr], [0, ""]);
    deepEqual(connected.stdout.split("\n").filter(Boolean), [
      ` [*] Connected to ${url.replace(":guest@", ":****@")}`,
      " [*] Channels 1 and 2, one connection",
      " [*] Closed",
    ]);
    for (let i = 0; i < 2; i++) {
      const sent = await example(url, "send");
      deepEqual([sent.code, sent.stdout, sent.stderr], [0, " [x] Sent 'Hello World!'\n", ""]);
    }
    deepEqual(await depthAt(url, "hello"), 2);
    const got = await example(url, "receive_get");
    deepEqual([got.code, got.stderr], [0, ""]);
    deepEqual(received(got.stdout), ["Hello World!", "Hello World!"]);
    match(got.stdout, / \[\*\] No more messages\n$/);
    deepEqual(await depthAt(url, "hello"), 0);
  }));

Deno.test("examples/receive_callback.ts: acks, requeues a failure once, parks it the second time, stops on Ctrl+C", () =>
  withVhost(async (url) => {
    const { child, finished } = await startExample(url, "receive_callback");
    const connection = await connect({ url });
    const channel = await connection.channel();
    await basicPublishConfirmed(channel, "hello", ["one", new Uint8Array([0xff]), "two"]);
    await connection.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    signalGroup(child, "SIGINT");
    const { code, stdout, stderr } = await finished;
    deepEqual(code, 0);
    deepEqual(received(stdout).toSorted(), ["one", "two"]);
    match(stdout, / \[\*\] Done\n?$/);
    deepEqual(stderr.trimEnd().split("\n"), [
      " [!] Body is not valid UTF-8 (1 bytes: ff): requeued",
      " [!] Body is not valid UTF-8 (1 bytes: ff): parked in 'hello.dead'",
    ]);
    deepEqual([await depthAt(url, "hello"), await depthAt(url, "hello.dead")], [0, 1]);
  }));

Deno.test("examples/receive_iterator.ts: auto-ack, a null after 5 quiet seconds, stops on Ctrl+C", () =>
  withVhost(async (url) => {
    const { child, finished } = await startExample(url, "receive_iterator");
    for (let i = 0; i < 3; i++) deepEqual((await example(url, "send")).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    signalGroup(child, "SIGINT");
    const { code, stdout, stderr } = await finished;
    deepEqual([code, stderr], [0, ""]);
    deepEqual(received(stdout), ["Hello World!", "Hello World!", "Hello World!"]);
    match(stdout, /^ \[\.\] No message for 5 s$/m);
    match(stdout, / \[\*\] Done\n?$/);
    deepEqual(await depthAt(url, "hello"), 0);
  }));

Deno.test("every example runs when copied into an empty folder next to lib/", () =>
  withVhost(async (url) => {
    const folder = `copied-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.mkdir(`${ROOT}${folder}`);
    try {
      for (const name of EXAMPLES) {
        await Deno.copyFile(`${ROOT}examples/${name}.ts`, `${ROOT}${folder}/${name}.ts`);
      }
      for (const name of ["connect", "send", "receive_get"]) {
        const ran = await example(url, name, folder);
        deepEqual([ran.code, ran.stderr], [0, ""], name);
      }
      const checked = await runCommand([Deno.execPath(), "check", `${ROOT}${folder}`]);
      deepEqual(checked.code, 0, checked.stderr);
    } finally {
      await Deno.remove(`${ROOT}${folder}`, { recursive: true });
    }
  }));
