// Faults, always on a private, throwaway RabbitMQ node (tools/private_broker.ts), never on the
// user's broker: restarts, a memory alarm, a dead peer, a crash, and oversized messages.
// Each step logs its figures (sent, confirmed, received, duplicated, lost, recovery time).

import { deepEqual, match, ok } from "node:assert/strict";
import { startPrivateBroker } from "../../tools/private_broker.ts";
import {
  depth,
  drain,
  drainFast,
  fill,
  numbers,
  received,
  run,
  runUntil,
  silentPeer,
  withQueue,
} from "../_helpers.ts";

const sent = (lines: string[]) => lines.filter((line) => line.startsWith(" [x] Sent")).length;
const log = (figures: string) => console.log(`      figures: ${figures}`);

Deno.test("faults on a private RabbitMQ node", async (t) => {
  await using broker = await startPrivateBroker({ config: ["max_message_size = 1048576"] });
  const url = broker.url;
  const local = { env: { AMQP_URL: url }, allowNet: "127.0.0.1" };

  await t.step(
    "broker restart while publishing 200,000: none lost, duplicates counted",
    () =>
      withQueue("restart-publish", 0, async (queue) => {
        const total = 200_000;
        const { finished } = await runUntil(
          "producer.ts",
          ["--queue", queue, "--count", `${total}`],
          (lines) => sent(lines) >= 2000,
          local,
        );
        const stoppedAt = performance.now();
        await broker.ctl("stop_app");
        await broker.ctl("start_app");
        const { code, stdout, stderr } = await finished;
        deepEqual(code, 0, stderr);
        match(stderr, /Connection lost .*; reconnecting/);
        const recovery = Number(stderr.match(/Reconnected to \S+ after ([\d.]+) s/)?.[1]);
        // Every index was reported confirmed exactly once, in order.
        const confirmed = [...stdout.matchAll(/^ \[x\] Sent '(\d+)'$/gm)].map((m) => m[1]);
        deepEqual(confirmed, numbers(total));
        const resent = Number(stdout.match(/(\d+) sent again/)?.[1]);
        const bodies = await drainFast(queue, url);
        const distinct = new Set(bodies);
        const lost = numbers(total).filter((body) => !distinct.has(body)).length;
        const duplicates = bodies.length - distinct.size;
        log(
          `sent ${total}, confirmed ${confirmed.length}, in queue ${bodies.length}, ` +
            `duplicates ${duplicates} (resent ${resent}), lost ${lost}, ` +
            `reconnected ${recovery} s after the loss (${
              ((performance.now() - stoppedAt) / 1000).toFixed(1)
            } s stop-to-done)`,
        );
        deepEqual(lost, 0);
        ok(duplicates <= resent, `${duplicates} duplicates but only ${resent} resent`);
      }, url),
  );

  await t.step(
    "broker restart while consuming 30,000: every body processed",
    () =>
      withQueue("restart-consume", 30_000, async (queue) => {
        const { finished } = await runUntil(
          "consumer.ts",
          ["--queue", queue, "--prefetch", "100", "--idle", "8"],
          (lines) => received(lines.join("\n")).length >= 1000,
          local,
        );
        await broker.ctl("stop_app");
        await broker.ctl("start_app");
        const { code, stdout, stderr } = await finished;
        deepEqual(code, 0, stderr);
        match(stderr, /Reconnected to amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+ after/);
        const bodies = received(stdout);
        const distinct = new Set(bodies);
        const missing = numbers(30_000).filter((body) => !distinct.has(body)).length;
        log(
          `in queue 30000, processed ${bodies.length} (${distinct.size} distinct, ` +
            `${bodies.length - distinct.size} twice), missing ${missing}, ` +
            `reconnected after ${stderr.match(/Reconnected to \S+ after ([\d.]+) s/)?.[1]} s`,
        );
        deepEqual(missing, 0);
        deepEqual(await depth(queue, url), 0);
      }, url),
  );

  await t.step(
    "blocked publisher: says why, waits for the alarm to clear, loses nothing",
    () =>
      withQueue("blocked", 0, async (queue) => {
        await broker.ctl("set_vm_memory_high_watermark", "absolute", "10MB");
        let cleared = false;
        try {
          const { finished } = await runUntil(
            "producer.ts",
            ["--queue", queue, "--count", "1000"],
            (lines) => lines.some((line) => line.includes("blocks publishing")),
            local,
          );
          const blockedAt = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          await broker.ctl("set_vm_memory_high_watermark", "0.4");
          cleared = true;
          const { code, stdout, stderr } = await finished;
          deepEqual(code, 0, stderr);
          match(stderr, /The broker blocks publishing \(low on memory\); waiting/);
          match(stderr, /unblocked publishing/);
          deepEqual(sent(stdout.split("\n")), 1000);
          deepEqual(await depth(queue, url), 1000);
          log(`blocked ${((performance.now() - blockedAt) / 1000).toFixed(1)} s, 1000 confirmed`);
        } finally {
          if (!cleared) await broker.ctl("set_vm_memory_high_watermark", "0.4");
        }
      }, url),
  );

  await t.step(
    "SIGKILL with prefetch 10: every in-flight message comes back redelivered",
    () =>
      withQueue("sigkill-prefetch", 100, async (queue) => {
        const { child, finished } = await runUntil(
          "consumer.ts",
          ["--queue", queue, "--prefetch", "10", "--work", "0.3"],
          (lines) => received(lines.join("\n")).length >= 3,
          local,
        );
        await new Promise((resolve) => setTimeout(resolve, 100)); // mid-work on the 3rd
        child.kill("SIGKILL");
        const { stdout } = await finished;
        const left = await drain(queue, url);
        const acked = 100 - left.length;
        const redelivered = left.filter((m) => m.redelivered).map((m) => m.body);
        log(
          `printed ${received(stdout).length}, acked ${acked}, redelivered ${redelivered.length}`,
        );
        deepEqual(acked, received(stdout).length - 1, "the one in hand was not acked");
        // The window was full: the one in hand plus 9 prefetched, all back and marked.
        deepEqual(redelivered, numbers(100).slice(acked, acked + 10));
        deepEqual(left.map((m) => m.body), numbers(100).slice(acked));
      }, url),
  );

  await t.step(
    "a body over the broker's max size: one line, exit 1, nothing half-sent",
    () =>
      withQueue("too-big", 0, async (queue) => {
        const file = await Deno.makeTempFile();
        try {
          await Deno.writeFile(file, new Uint8Array(2_000_000));
          const result = await run(
            "producer.ts",
            ["--queue", queue, "--count", "2", "--body-file", file],
            { ...local, allowRead: file },
          );
          deepEqual(result.code, 1);
          deepEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
          match(result.stderr, /2000000 bytes is over its maximum message size of 1048576 \(406\)/);
          deepEqual(await depth(queue, url), 0);
        } finally {
          await Deno.remove(file);
        }
      }, url),
  );

  await t.step(
    "dead peer: heartbeats notice a silent broker, the consumer reconnects",
    async () => {
      // A proxy that can go silent: it keeps the TCP connection open but forwards nothing.
      const target = Number(new URL(url).port);
      using proxy = freezableProxy(target);
      await withQueue("dead-peer", 0, async (queue) => {
        const viaProxy = `amqp://guest:guest@127.0.0.1:${proxy.port}/?heartbeat=1`;
        const bodies = new Set<string>();
        const { finished, child } = await runUntil(
          "consumer.ts",
          ["--queue", queue, "--idle", "20"],
          (lines) => lines.some((line) => line.includes("Waiting for messages")),
          {
            env: { AMQP_URL: viaProxy },
            allowNet: "127.0.0.1",
            onLine: (line) => received(line).forEach((body) => bodies.add(body)),
          },
        );
        const frozenAt = performance.now();
        proxy.freeze(); // the connection so far goes silent; new ones work
        // Wait for the reconnect, then prove the new connection consumes.
        while (proxy.connections < 2 && performance.now() - frozenAt < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const replacedAfter = (performance.now() - frozenAt) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 500));
        await fill(queue, 3, url);
        // The broker may hand one message to the dead connection's consumer before its own
        // heartbeat check closes that connection; it returns then, so wait for all three.
        const filledAt = performance.now();
        while (bodies.size < 3 && performance.now() - filledAt < 15_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        child.kill("SIGINT");
        const { code, stdout, stderr } = await finished;
        deepEqual(code, 0, stderr);
        match(stderr, /Heartbeat timeout/);
        // A message the broker gave the dead connection comes back at the queue's end (quorum).
        deepEqual(received(stdout).toSorted(), numbers(3));
        log(
          `heartbeat 1 s: the silent connection was replaced after ${replacedAfter.toFixed(1)} s`,
        );
      }, url);
    },
  );

  await t.step("a port that accepts TCP but never answers: connect timeout, exit 1", async () => {
    using peer = silentPeer();
    const result = await run("producer.ts", [], {
      env: { AMQP_URL: `amqp://127.0.0.1:${peer.port}/?connection_timeout=1000` },
      allowNet: "127.0.0.1",
    });
    deepEqual(result.code, 1);
    match(result.stderr, /no answer within 1 s/);
    ok(result.ms < 4000, `${result.ms} ms`);
  });
});

/** A TCP proxy to 127.0.0.1:`target`; `freeze()` silences the connections open so far. */
function freezableProxy(target: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const frozen = new Set<Deno.Conn>();
  const open = new Set<Deno.Conn>();
  let connections = 0;
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(65536);
    try {
      for (let n; (n = await from.read(buffer)) !== null;) {
        if (frozen.has(from)) continue; // swallow: the peer looks dead
        await to.write(buffer.subarray(0, n));
      }
    } catch {
      // either side closed
    }
    // A frozen connection stays open and silent, as a dead peer's would.
    if (frozen.has(from)) return;
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  (async () => {
    for await (const client of listener) {
      connections++;
      const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
      open.add(client).add(server);
      pipe(client, server);
      pipe(server, client);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get connections() {
      return connections;
    },
    freeze() {
      for (const conn of open) frozen.add(conn);
    },
    [Symbol.dispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}
