// `deno task top` against a private node with the management plugin: the queue `hello` filled by
// producer.ts and read by consumer.ts, as a person sees it in a real terminal (tmux) and as a
// pipe reads it; `q` and Ctrl+C; an API that never answers; the node killed and restarted.

import { deepEqual, match, ok } from "node:assert/strict";
import { openTerminal } from "../_terminal.ts";
import { depth, run, runCommand, runCommandUntil, runUntil, signalGroup } from "../_helpers.ts";
import { freePort, startPrivateBroker } from "../../tools/private_broker.ts";

/** `deno task top` as a reader types it, then what the terminal was left in, as text. */
const topThen = (management: string, ...flags: string[]) =>
  `deno task top --management ${management} ${flags.join(" ")}; code=$?; ` +
  `stty -a | grep -oE -- '-?icanon\\b'; ` +
  `tmux display -p 'cursor=#{cursor_flag} alternate=#{alternate_on}'; (exit $code)`;

/** A terminal restored: canonical mode back, the cursor shown, the normal screen. */
const RESTORED = /^icanon\ncursor=1 alternate=0\n\[exit 0\]$/m;

/** `deno task top --once`, piped. */
const once = async (management: string) => {
  const ran = await runCommand(["deno", "task", "top", "--once", "--management", management]);
  return { ...ran, stderr: ran.stderr.replace(/^.*Task top .*\n/m, "") };
};

/** The columns of queue `name`'s row in a snapshot. */
const row = (screen: string, name: string) =>
  screen.split("\n").find((line) => line.startsWith(`${name} `))?.trim().split(/\s+/);

Deno.test("deno task top: the hello row live, q and Ctrl+C restore the terminal, --once piped, a node killed and back", async (t) => {
  await using broker = await startPrivateBroker({ managementPort: freePort() });
  const api = broker.managementUrl!;
  const env = { AMQP_URL: broker.url };
  const net = `127.0.0.1:${broker.port}`;
  const produced = await run("producer.ts", ["--count", "30"], { env, allowNet: net });
  deepEqual(produced.code, 0, produced.stderr);
  // A name with an escape and one wider than the terminal: shown escaped and cut, never raw.
  const long = `long-${"x".repeat(240)}`;
  for (const queue of ["evil\x1b[2Jname", long]) {
    const made = await run("producer.ts", ["--count", "1", "--queue", queue], {
      env,
      allowNet: net,
    });
    deepEqual(made.code, 0, made.stderr);
  }

  await t.step(
    "on a terminal: the row, refreshed with a consumer's unacked; q exits 0",
    async () => {
      await using terminal = await openTerminal(topThen(api));
      const first = await terminal.waitFor(/^hello +quorum +30 +0 +[\d.]+ +[\d.]+ +0 /m);
      match(first, /^deno-test-\w+@localhost +up$/m);
      match(first, /^evil\\x1b\[2Jname +quorum +1 /m);
      ok(first.split("\n").every((line) => line.length <= 200), "a line wider than the terminal");
      match(first, /^long-x+… +quorum /m);
      // consumer.ts holds five messages (prefetch 5, long work): 25 ready, 5 unacked, 1 consumer.
      const { child, finished } = await runUntil(
        "consumer.ts",
        ["--prefetch", "5", "--work", "60"],
        (lines) => lines.some((line) => line.includes("Received")),
        { env, allowNet: net },
      );
      try {
        const later = await terminal.waitFor(/^hello +quorum +25 +5 +[\d.]+ +[\d.]+ +1 /m);
        ok(later.match(/^\d\d:\d\d:\d\d /m)?.[0] !== first.match(/^\d\d:\d\d:\d\d /m)?.[0]);
      } finally {
        child.kill("SIGKILL");
        await finished;
      }
      await terminal.press("q");
      deepEqual(await terminal.exitCode(), 0, await terminal.screen());
      const screen = await terminal.screen();
      match(screen, RESTORED);
      ok(!/^QUEUE /m.test(screen), `the view stayed on the screen:\n${screen}`);
    },
  );

  await t.step("Ctrl+C on a terminal: exit 0, the terminal restored", async () => {
    await using terminal = await openTerminal(topThen(api));
    await terminal.waitFor(/^hello +quorum /m);
    await terminal.press("C-c");
    deepEqual(await terminal.exitCode(), 0, await terminal.screen());
    match(await terminal.screen(), RESTORED);
  });

  await t.step("piped --once: one plain block whose count is the queue's own", async () => {
    // The consumer is gone, so its five are ready again; the API's quorum figures lag seconds.
    const expected = await depth("hello", broker.url);
    deepEqual(expected, 30);
    let last = "";
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      const { code, stdout, stderr } = await once(api);
      deepEqual([code, stderr], [0, ""]);
      ok(!stdout.includes("\x1b"), "an escape code in piped output");
      last = stdout;
      const [, type, ready, unacked, , , consumers] = row(stdout, "hello") ?? [];
      if (ready === String(expected) && unacked === "0" && consumers === "0") {
        deepEqual(type, "quorum");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`hello never showed ${expected} ready:\n${last}`);
  });

  await t.step("piped without --once: a block per refresh until Ctrl+C, then exit 0", async () => {
    const { child, finished } = await runCommandUntil(
      ["deno", "task", "top", "--management", api],
      (lines) => lines.filter((line) => line.startsWith("hello ")).length >= 2,
      { ownGroup: true },
    );
    signalGroup(child, "SIGINT");
    const { code, stdout } = await finished;
    deepEqual(code, 0, stdout);
    ok(!stdout.includes("\x1b"), "an escape code in piped output");
  });

  await t.step("an API that never answers: one line naming it, exit 1", async () => {
    const nowhere = `http://127.0.0.1:${freePort()}/`;
    const { code, stdout, stderr } = await once(nowhere);
    deepEqual([code, stdout], [1, ""]);
    deepEqual(
      stderr,
      `Cannot reach the management API at ${nowhere} (connection refused): ` +
        "is rabbitmq_management enabled there?\n",
    );
  });

  await t.step(
    "the node killed: the view stays with the unreachable line, and recovers",
    async () => {
      await using terminal = await openTerminal(topThen(api));
      await terminal.waitFor(/^hello +quorum /m);
      await broker.kill();
      const lost = await terminal.waitFor(/Cannot reach the management API at .*; retrying/);
      match(lost, /^hello +quorum +30 /m);
      await broker.restart();
      await terminal.waitFor(/^q quits *$/m, 30_000);
      await terminal.press("q");
      deepEqual(await terminal.exitCode(), 0, await terminal.screen());
    },
  );
});
