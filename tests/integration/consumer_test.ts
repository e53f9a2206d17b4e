import { deepEqual, match, ok } from "node:assert/strict";
import { publishWithConfirms } from "../../lib/mod.ts";
import { BROKER_URL, depth, fill, numbers, received, run, runUntil } from "../_helpers.ts";
import { tcpProxy, withChannel, withQueue } from "../_helpers.ts";

const STYLES = ["callback", "get", "iterator"];

/** Runs consumer.ts in `style` on `queue` with more flags. */
const consume = (style: string, queue: string, ...flags: string[]) =>
  run("consumer.ts", ["--style", style, "--queue", queue, ...flags]);

/** One step per consume style, each on its own queue of `count` messages. */
function eachStyle(count: number, check: (style: string, queue: string) => Promise<void>) {
  return async (t: Deno.TestContext) => {
    for (const style of STYLES) {
      await t.step(`--style ${style}`, () => withQueue(style, count, (q) => check(style, q)));
    }
  };
}

Deno.test(
  "consumer.ts drains 100 messages in order and acks each, in every style",
  eachStyle(100, async (style, queue) => {
    const { code, stdout, stderr } = await consume(style, queue, "--idle", "1.5");
    deepEqual([code, stderr], [0, ""]);
    deepEqual(received(stdout), numbers(100));
    match(stdout, /Done: 100 messages/);
    // The consumer has disconnected, so anything unacked would be back in the queue.
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "consumer.ts --requeue-once sees every message twice, the second time redelivered",
  eachStyle(100, async (style, queue) => {
    const { code, stdout } = await consume(style, queue, "--requeue-once", "--idle", "1.5");
    deepEqual(code, 0);
    const requeued = [...stdout.matchAll(/^ \[x\] Requeued '(\d+)'$/gm)].map((m) => m[1]);
    const redelivered = [...stdout.matchAll(/^ \[x\] Received '(\d+)' \(redelivered\)$/gm)]
      .map((m) => m[1]);
    deepEqual(requeued.toSorted(), numbers(100).toSorted());
    deepEqual(redelivered.toSorted(), numbers(100).toSorted());
    // No first delivery was acked: every "Received" is a redelivery.
    deepEqual(received(stdout).length, 100);
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "consumer.ts --auto-ack drains without acks, in every style",
  eachStyle(100, async (style, queue) => {
    const { code, stdout } = await consume(style, queue, "--auto-ack", "--idle", "1.5");
    deepEqual(code, 0);
    deepEqual(received(stdout), numbers(100));
    deepEqual(await depth(queue), 0);
  }),
);

Deno.test(
  "consumer.ts --max N stops after N and returns its prefetched messages",
  eachStyle(100, async (style, queue) => {
    const { code, stdout } = await consume(style, queue, "--max", "10", "--prefetch", "20");
    deepEqual(code, 0);
    deepEqual(received(stdout), numbers(10));
    // Up to 20 were in flight; the 10 not processed went back.
    deepEqual(await depth(queue), 90);
  }),
);

Deno.test(
  "consumer.ts --idle stops an idle consumer, and the iterator yields null meanwhile",
  eachStyle(0, async (style, queue) => {
    const { code, stdout, ms } = await consume(style, queue, "--idle", "1", "--inactivity", "0.3");
    deepEqual(code, 0);
    match(stdout, /No message for 1 s, stopping/);
    ok(ms >= 1000, `stopped after ${ms} ms, before --idle`);
    const nulls = stdout.match(/^ \[\.\] No message for 0\.3 s, still waiting$/gm) ?? [];
    if (style === "iterator") ok(nulls.length >= 2, stdout);
    else deepEqual(nulls.length, 0);
  }),
);

Deno.test("--help prints usage on stdout and exits 0", async (t) => {
  for (const script of ["producer.ts", "consumer.ts"]) {
    await t.step(script, async () => {
      const { code, stdout, stderr } = await run(script, ["--help"]);
      deepEqual([code, stderr], [0, ""]);
      match(stdout, new RegExp(`^Usage: ${script.replace(".", "\\.")}`));
    });
  }
});

Deno.test("a poison message (body not UTF-8) is parked in QUEUE.dead once; the rest flow", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, () =>
      withQueue(`poison-${style}`, 0, async (queue) => {
        const poison = new Uint8Array([0xff, 0xfe, 0x41]);
        await withChannel((channel) => publishWithConfirms(channel, queue, ["0", poison, "2"]));
        const { code, stdout, stderr } = await consume(style, queue, "--idle", "1.5");
        deepEqual(code, 0);
        deepEqual(received(stdout), ["0", "2"]);
        deepEqual(
          stderr.trimEnd(),
          ` [!] Body is not valid UTF-8 (3 bytes: ff fe 41): parked in '${queue}.dead'`,
        );
        deepEqual(await depth(queue), 0);
        // Parked exactly once, bytes intact; reading the parking queue shows it safely.
        const inspected = await consume(style, `${queue}.dead`, "--idle", "1.5");
        deepEqual(inspected.code, 0);
        match(inspected.stdout, /^ \[x\] Received <3 bytes: ff fe 41>$/m);
        match(inspected.stdout, /Done: 1 messages/);
        deepEqual(await depth(`${queue}.dead`), 0);
      }));
  }
});

Deno.test("consumer.ts --idle counts quiet time while connected, not time spent reconnecting", () =>
  withQueue("idle-reconnect", 0, async (queue) => {
    using proxy = tcpProxy(Number(new URL(BROKER_URL).port || 5672));
    const { finished } = await runUntil(
      "consumer.ts",
      ["--queue", queue, "--idle", "1"],
      (lines) => lines.some((line) => line.includes("Waiting for messages")),
      { env: { AMQP_URL: proxy.url }, allowNet: "127.0.0.1" },
    );
    // The broker is out of reach for 2.5 s, longer than --idle; messages arrive meanwhile.
    proxy.refuse(2500);
    await fill(queue, 5);
    const { code, stdout, stderr } = await finished;
    deepEqual(code, 0, stderr);
    match(stderr, /Connection lost .*\n.*Reconnected to /);
    deepEqual(received(stdout), numbers(5));
    match(stdout, /No message for 1 s, stopping/);
    deepEqual(await depth(queue), 0);
  }));

Deno.test("consumer.ts --idle starts counting once connected: a slow connect is not idleness", () =>
  withQueue("idle-slow-connect", 5, async (queue) => {
    using proxy = tcpProxy(Number(new URL(BROKER_URL).port || 5672));
    // The connection waits 2 s before its first byte passes, longer than --idle.
    proxy.hold(2000);
    const { code, stdout, stderr } = await run("consumer.ts", ["--queue", queue, "--idle", "1"], {
      env: { AMQP_URL: proxy.url },
      allowNet: "127.0.0.1",
    });
    deepEqual(code, 0, stderr);
    deepEqual(received(stdout), numbers(5));
    match(stdout, /No message for 1 s, stopping/);
    deepEqual(await depth(queue), 0);
  }));

/** A body that would forge a second line, set the terminal's title and reverse the rest. */
const HOSTILE = "7'\n [x] Received 'fake\x1b]0;pwned\x07\u202eevil";

Deno.test("a body full of escape sequences prints as one line of visible escapes; --raw as is", async (t) => {
  for (const style of STYLES) {
    await t.step(`--style ${style}`, () =>
      withQueue(`hostile-${style}`, 0, async (queue) => {
        await withChannel((channel) => publishWithConfirms(channel, queue, [HOSTILE, "8"]));
        const { code, stdout } = await consume(style, queue, "--idle", "1.5");
        deepEqual(code, 0);
        // Piped output stays one line per message: the body's newline did not make a second.
        const lines = stdout.split("\n").filter((line) => line.startsWith(" [x]"));
        deepEqual(lines, [
          " [x] Received '7'\\n [x] Received 'fake\\x1b]0;pwned\\x07\\u202eevil'",
          " [x] Received '8'",
        ]);
        // deno-lint-ignore no-control-regex -- looking for control characters is the point
        ok(!/[\x00-\x09\x0b-\x1f\x7f\u202e]/.test(stdout), "a control character was printed");
      }));
  }
  await t.step(
    "--raw prints the bytes as they came",
    () =>
      withQueue("hostile-raw", 0, async (queue) => {
        await withChannel((channel) => publishWithConfirms(channel, queue, [HOSTILE]));
        const { code, stdout } = await consume("callback", queue, "--idle", "1.5", "--raw");
        deepEqual(code, 0);
        ok(stdout.includes(` [x] Received '${HOSTILE}'`), stdout);
      }),
  );
});
