// Past one broker: a real 3-node cluster (tools/private_cluster.ts), one for this whole file,
// run on its own after the other tests (deno task test), as its nodes take the machine's CPU.
// A node is killed with SIGKILL under a producer and under each consumer style, and nothing
// may be lost; streams are read from a replica. Each step logs its figures.

import { deepEqual, match, ok, rejects } from "node:assert/strict";
import { connect, declareQueue, publishWithConfirms } from "../../lib/mod.ts";
import { startPrivateCluster } from "../../tools/private_cluster.ts";
import { freePort } from "../../tools/private_broker.ts";
import { readmeScenarios, runScenario } from "../_commands.ts";
import {
  depth,
  drainFast,
  numbers,
  received,
  ROOT,
  run,
  runCommand,
  runUntil,
  uniqueQueue,
} from "../_helpers.ts";

const log = (figures: string) => console.log(`      figures: ${figures}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

Deno.test("a 3-node cluster: nodes killed under producers and consumers lose nothing; streams replay", async (t) => {
  const started = performance.now();
  await using cluster = await startPrivateCluster();
  log(`three nodes in one cluster after ${seconds(performance.now() - started)}`);
  /** The URL list with node `first` first, as a client that is connected to it would have. */
  const listFrom = (first: number) =>
    [...cluster.urls.slice(first), ...cluster.urls.slice(0, first)].join(",");
  const local = (url: string) => ({ env: { AMQP_URL: url }, allowNet: "127.0.0.1" });
  /** Opens a connection to the cluster for the test's own work. */
  const withCluster = async <T>(
    fn: (channel: Awaited<ReturnType<typeof channelOf>>) => Promise<T>,
  ) => {
    const connection = await connect({ url: cluster.url });
    try {
      return await fn(await channelOf(connection));
    } finally {
      await connection.close().catch(() => {});
    }
  };
  const channelOf = (connection: Awaited<ReturnType<typeof connect>>) => connection.channel();
  /** Takes everything out of `queue`, fast: the bodies, duplicates included. */
  const drainAll = (queue: string) => drainFast(queue, cluster.url);
  /** Kills node `index` with SIGKILL and times its queue's new leader's election. */
  const killLeaderOf = async (queue: string, index: number) => {
    const killedAt = performance.now();
    await cluster.nodes[index]!.kill();
    let leader = -1;
    while (performance.now() - killedAt < 30_000) {
      leader = await cluster.leaderOf(queue);
      if (leader !== -1 && leader !== index) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { killedAt, leader, elected: performance.now() - killedAt };
  };

  await t.step(
    "producer.ts with the URL list: 30,000 to a quorum queue, its leader killed mid-way",
    async () => {
      const queue = uniqueQueue("cluster-produce");
      await withCluster((channel) => declareQueue(channel, queue));
      const leader = await cluster.leaderOf(queue);
      ok(leader >= 0, "the quorum queue has a leader");
      // When confirms stop and start again around the kill: the publisher's downtime.
      let killedAt = Infinity;
      let lastBefore = 0;
      let firstAfter = 0;
      const { finished } = await runUntil(
        "producer.ts",
        ["--queue", queue, "--count", "30000"],
        (lines) => lines.filter((line) => line.startsWith(" [x] Sent")).length >= 5000,
        {
          ...local(listFrom(leader)),
          onLine: (line) => {
            if (!line.startsWith(" [x] Sent")) return;
            const now = performance.now();
            if (now < killedAt) lastBefore = now;
            else firstAfter ||= now;
          },
        },
      );
      killedAt = performance.now();
      const { elected, leader: newLeader } = await killLeaderOf(queue, leader);
      const { code, stdout, stderr } = await finished;
      deepEqual(code, 0, stderr);
      match(stderr, /Connection lost .*; reconnecting/);
      const reached = stderr.match(
        /Reconnected to amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:(\d+) after ([\d.]+) s/,
      );
      ok(reached, stderr);
      ok(Number(reached[1]) !== cluster.nodes[leader]!.port, "reconnected to another node");
      const sent = [...stdout.matchAll(/^ \[x\] Sent '(\d+)'$/gm)].map((m) => m[1]);
      deepEqual(sent, numbers(30_000));
      const bodies = await drainAll(queue);
      const distinct = new Set(bodies);
      const missing = numbers(30_000).filter((body) => !distinct.has(body)).length;
      const refusals = Number(stdout.match(/and (\d+) refusal/)?.[1] ?? 0);
      log(
        `leader node ${leader + 1} killed: no confirm for ${seconds(firstAfter - lastBefore)}; ` +
          `new leader node ${newLeader + 1} seen by rabbitmqctl after ${seconds(elected)}; ` +
          `producer reconnected after ${reached[2]} s to port ${reached[1]}, ` +
          `${refusals} refusal(s) retried, ${bodies.length} in the queue, ` +
          `${bodies.length - distinct.size} duplicates, ${missing} missing`,
      );
      deepEqual(missing, 0);
      await cluster.nodes[leader]!.restart();
    },
  );

  for (const [index, style] of ["callback", "get", "iterator"].entries()) {
    await t.step(
      `consumer.ts --style ${style} with the URL list: the node it reads from killed`,
      async () => {
        const queue = uniqueQueue(`cluster-consume-${style}`);
        const total = style === "get" ? 5000 : 20_000;
        await withCluster(async (channel) => {
          await declareQueue(channel, queue);
          await publishWithConfirms(channel, queue, numbers(total), { window: 1000 });
        });
        const node = index; // a different node for each style: nodes 1, 2, 3
        const flags = ["--queue", queue, "--style", style, "--prefetch", "100", "--idle", "5"];
        const { finished } = await runUntil(
          "consumer.ts",
          flags,
          (lines) => received(lines.join("\n")).length >= total / 10,
          local(listFrom(node)),
        );
        const killedAt = performance.now();
        await cluster.nodes[node]!.kill();
        const { code, stdout, stderr } = await finished;
        deepEqual(code, 0, stderr);
        const reconnected = stderr.match(/Reconnected to \S+ after ([\d.]+) s/)?.[1];
        ok(reconnected, stderr);
        const bodies = received(stdout);
        const distinct = new Set(bodies);
        const missing = numbers(total).filter((body) => !distinct.has(body)).length;
        const left = await depth(queue, cluster.url);
        log(
          `--style ${style}: node ${node + 1} killed ${seconds(performance.now() - killedAt)} ` +
            `before the end; reconnected after ${reconnected} s; ${bodies.length} received ` +
            `(${
              bodies.length - distinct.size
            } twice), ${missing} missing, ${left} left in the queue`,
        );
        deepEqual([missing, left], [0, 0]);
        await cluster.nodes[node]!.restart();
      },
    );
  }

  await t.step(
    "a stream read from first, from an offset and from a timestamp, on a replica",
    async () => {
      const stream = uniqueQueue("cluster-stream");
      await withCluster(async (channel) => {
        await declareQueue(channel, stream, { type: "stream" });
        await publishWithConfirms(channel, stream, numbers(50));
      });
      // Stream timestamps are per chunk and in whole seconds: a pause makes a clean boundary.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const between = new Date();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await withCluster((channel) => publishWithConfirms(channel, stream, numbers(100).slice(50)));
      const leader = await cluster.leaderOf(stream);
      const replica = (leader + 1) % 3;
      const read = async (offset: string, max: number) => {
        const result = await run(
          "patterns/streams/receive_stream.ts",
          ["--stream", stream, "--offset", offset, "--max", `${max}`],
          local(cluster.urls[replica]!),
        );
        deepEqual(result.code, 0, result.stderr);
        return [...result.stdout.matchAll(/^ \[x\] '(\d+)' at offset (\d+)$/gm)].map((
          m,
        ) => [m[1], m[2]]);
      };
      const pairs = (from: number) => numbers(100).slice(from).map((n) => [n, n]);
      deepEqual(await read("first", 100), pairs(0));
      deepEqual(await read("50", 50), pairs(50));
      deepEqual(await read(between.toISOString(), 50), pairs(50));
      log(
        `stream led by node ${leader + 1}, read on node ${
          replica + 1
        }: first, 50 and a time all right`,
      );
    },
  );
  log(`the cluster steps took ${seconds(performance.now() - started)}, start and stop included`);
});

Deno.test("the README's cluster commands run as written: deno task cluster, then the scripts", async (t) => {
  const readme = await Deno.readTextFile(`${ROOT}docs/cluster.md`);
  const scenarios = readmeScenarios(readme, "docs/cluster.md").filter((s) =>
    s.commands.some((command) => command.startsWith("deno task cluster"))
  );
  deepEqual(scenarios.length, 1, "one README block starts the cluster");
  const started = performance.now();
  // Where the running cluster is recorded: a folder of the test's, not this user's own.
  const state = await Deno.makeTempDir({ prefix: "cluster-state-" });
  await t.step(scenarios[0]!.name, () => runScenario(scenarios[0]!, { XDG_STATE_HOME: state }));
  await Deno.remove(state, { recursive: true });
  log(`the README's cluster block took ${seconds(performance.now() - started)}`);
});

Deno.test("deno task cluster --detach leaves it running, recorded in a file of our own; --stop ends it", async () => {
  const state = await Deno.makeTempDir({ prefix: "cluster-state-" });
  const env = { XDG_STATE_HOME: state };
  const ports = [freePort(), freePort(), freePort()];
  try {
    const detached = await runCommand(
      ["deno", "task", "cluster", "--detach", "--ports", ports.join(",")],
      { env },
    );
    deepEqual(detached.code, 0, detached.stderr);
    match(detached.stdout, /Left running; stop it with: deno task cluster --stop/);
    const file = `${state}/rabbitmq-deno/cluster.json`;
    deepEqual((await Deno.lstat(file)).mode! & 0o777, 0o600);
    deepEqual((await Deno.lstat(`${state}/rabbitmq-deno`)).mode! & 0o777, 0o700);
    const { dir, epmdPort } = JSON.parse(await Deno.readTextFile(file));
    for (const port of ports) {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close(); // each node answers
    }
    const stopped = await runCommand(["deno", "task", "cluster", "--stop"], { env });
    deepEqual(stopped.code, 0, stopped.stderr);
    match(stopped.stdout, /Stopped 3 nodes and deleted their data/);
    ok(!(await Deno.lstat(dir).then(() => true, () => false)), `${dir} is still there`);
    ok(!(await Deno.lstat(file).then(() => true, () => false)), "the state file is still there");
    // Nor the cluster's own epmd: it would outlive the nodes.
    for (const port of [...ports, epmdPort]) {
      await rejects(Deno.connect({ hostname: "127.0.0.1", port }), Deno.errors.ConnectionRefused);
    }
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
