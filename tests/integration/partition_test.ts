// A cluster's whole life under load: a node cut off from the other two for 32 s (a network
// split, on this machine: tools/_partition.ts drops the traffic between the nodes' own loopback
// addresses), once with the clients on the cut node and once with the queue's leader there,
// then a rolling restart, each node stopped and started in turn as an upgrade does. Through
// each, producer.ts publishes at a steady rate to a quorum queue and consumer.ts consumes it,
// and they are checked as Jepsen checks a queue: every confirmed message received, nothing
// received that was never published, duplicates counted, both exit 0. Each step logs its
// figures. Cutting takes root and nft (Linux); elsewhere the file is skipped, and says so.
// Run on its own after the other tests (deno task test), as the nodes take the machine's CPU.

import { deepEqual, match, ok } from "node:assert/strict";
import { startPrivateCluster } from "../../tools/private_cluster.ts";
import { findNft } from "../../tools/_partition.ts";
import {
  deleteQueue,
  depth,
  listeners,
  received,
  run,
  runUntil,
  signalGroup,
  uniqueQueue,
} from "../_helpers.ts";

const canCut = Deno.build.os === "linux" && Deno.uid() === 0 && findNft() !== undefined;
const log = (figures: string) => console.log(`      figures: ${figures}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Messages a second the producer sends: the cut and the restarts fall inside its run. */
const RATE = 200;

/** A script's lines as they came, each with the time it came. */
function timed() {
  const lines: { at: number; line: string }[] = [];
  return {
    lines,
    onLine: (line: string) => lines.push({ at: performance.now(), line }),
    /** The longest wait between two lines that match `pattern`. */
    longestGap(pattern: RegExp) {
      const times = lines.filter(({ line }) => pattern.test(line)).map(({ at }) => at);
      return times.slice(1).reduce((gap, at, i) => Math.max(gap, at - times[i]!), 0);
    },
  };
}

Deno.test({
  name: "a 3-node cluster split and restarted under load: every confirmed message arrives",
  ignore: !canCut,
  async fn(t) {
    const started = performance.now();
    await using cluster = await startPrivateCluster();
    log(`three nodes in one cluster after ${seconds(performance.now() - started)}`);
    const listFrom = (first: number) =>
      [...cluster.urls.slice(first), ...cluster.urls.slice(0, first)].join(",");
    /**
     * Runs producer.ts and consumer.ts on `queue` (declared on node `leader`, so that it leads
     * it) with the URL list from node `clients`, does `disturb` once 1,000 are confirmed, and
     * checks and logs what both scripts saw. Returns their stderr.
     */
    const underLoad = async (
      label: string,
      { leader, clients, count }: { leader: number; clients: number; count: number },
      disturb: (queue: string) => Promise<string>,
    ) => {
      const queue = uniqueQueue(label);
      const options = (url: string) => ({ env: { AMQP_URL: url }, allowNet: "127.0.0.1" });
      // --count 0 only declares: the queue's leader is the node it was declared on.
      const declared = await run("producer.ts", ["--queue", queue, "--count", "0"], {
        ...options(cluster.urls[leader]!),
      });
      deepEqual(declared.code, 0, declared.stderr);
      deepEqual(await cluster.leaderOf(queue), leader, "the queue's leader");
      try {
        const consumerLines = timed();
        const consumer = await runUntil(
          "consumer.ts",
          ["--queue", queue, "--prefetch", "100"],
          (lines) => lines.some((line) => line.includes("Waiting for messages")),
          { ...options(listFrom(clients)), ownGroup: true, onLine: consumerLines.onLine },
        );
        const producerLines = timed();
        const producer = await runUntil(
          "producer.ts",
          ["--queue", queue, "--count", String(count), "--rate", String(RATE)],
          (lines) => lines.filter((line) => line.startsWith(" [x] Sent")).length >= 1000,
          { ...options(listFrom(clients)), onLine: producerLines.onLine },
        );
        const what = await disturb(queue);
        const produced = await producer.finished;
        deepEqual(produced.code, 0, produced.stderr);
        const confirmed = [...produced.stdout.matchAll(/^ \[x\] Sent '(\d+)'$/gm)].map((m) =>
          m[1]!
        );
        deepEqual(confirmed.length, count, "every message confirmed, each once");
        // Every confirmed message reaches the consumer (Ctrl+C once it has them all).
        const seen = () => new Set(received(consumerLines.lines.map((l) => l.line).join("\n")));
        const deadline = performance.now() + 60_000;
        for (let got = seen(); performance.now() < deadline; got = seen()) {
          if (confirmed.every((body) => got.has(body))) break;
          await sleep(250);
        }
        signalGroup(consumer.child, "SIGINT");
        const consumed = await consumer.finished;
        deepEqual(consumed.code, 0, consumed.stderr);
        const bodies = received(consumed.stdout);
        const distinct = new Set(bodies);
        const missing = confirmed.filter((body) => !distinct.has(body));
        const unknown = [...distinct].filter((body) => !/^\d+$/.test(body) || +body >= count);
        log(
          `${label}: ${what}; ${confirmed.length} confirmed, ${bodies.length} received, ` +
            `${bodies.length - distinct.size} duplicates, ${missing.length} missing, ` +
            `${unknown.length} never published; longest pause: confirms ` +
            `${seconds(producerLines.longestGap(/^ \[x\] Sent/))}, deliveries ` +
            `${seconds(consumerLines.longestGap(/^ \[x\] Received/))}`,
        );
        deepEqual(missing, [], "confirmed ⊆ received");
        deepEqual(unknown, [], "received ⊆ published");
        // The consumer acked each one: nothing left in the queue.
        deepEqual(await depth(queue, cluster.url), 0);
        return { producer: produced.stderr, consumer: consumed.stderr };
      } finally {
        await deleteQueue(queue, cluster.url).catch(() => {});
      }
    };

    /**
     * Runs the load with node 1 cut off for 32 s, then heals and waits until the cluster is
     * whole again. Returns the scripts' stderr and the queue's leader during the cut.
     */
    const underSplit = async (label: string, placement: Parameters<typeof underLoad>[1]) => {
      let leaderDuringCut = -1;
      const stderr = await underLoad(label, placement, async (queue) => {
        const result = await split(queue);
        leaderDuringCut = result.leaderDuringCut;
        return result.text;
      });
      return { stderr, leaderDuringCut };
    };
    /** Cuts node 1 off for 32 s, heals, and waits until the cluster is whole again. */
    const split = async (queue: string) => {
      const cutAt = performance.now();
      await cluster.partition(0);
      // The majority notices after net_ticktime (10 s), elects leaders, and node 1 pauses.
      await sleep(25_000);
      const leaderDuringCut = await cluster.leaderOf(queue);
      await sleep(cutAt + 32_000 - performance.now());
      await cluster.heal();
      const healedAt = performance.now();
      const repaired = await cluster.awaitWhole(60_000);
      return {
        leaderDuringCut,
        text:
          `cut for ${seconds(healedAt - cutAt)}, leader during the cut node ${
            leaderDuringCut + 1
          }, whole again ${seconds(performance.now() - healedAt)} after the heal` +
          (repaired.length ? ` (node ${repaired.map((i) => i + 1)} restarted: it hung)` : ""),
      };
    };
    const cutPort = cluster.nodes[0]!.port;

    await t.step("every node, and the cluster's epmd, listens on loopback only", async () => {
      const onLoopback = (address: string) => /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/.test(address);
      const all = await listeners();
      for (const node of cluster.nodes) {
        const own = all.filter((l) => l.pid === node.pid()).map((l) => l.address);
        ok(own.length >= 3, `AMQP, distribution and management at least: ${own}`);
        deepEqual(own.filter((address) => !onLoopback(address)), [], node.node);
      }
      const epmd = all.filter((l) => l.address.endsWith(`:${cluster.epmdPort}`));
      ok(epmd.length >= 4, "the cluster's epmd, on 127.0.0.1 and each node's address");
      deepEqual(epmd.map((l) => l.address).filter((a) => !onLoopback(a)), [], "epmd");
    });

    await t.step("node 1 cut off for 32 s with both clients connected to it", async () => {
      const { stderr, leaderDuringCut } = await underSplit("split-clients", {
        leader: 1,
        clients: 0,
        count: 10_000,
      });
      deepEqual(leaderDuringCut, 1, "the leader stayed on the majority side");
      for (const [script, text] of Object.entries(stderr)) {
        // The paused node closes their connections with 320; each names what happened, and
        // moves on to a node of the majority.
        match(
          text,
          new RegExp(
            `Connection lost to amqp://guest:\\*\\*\\*\\*@127\\.0\\.0\\.1:${cutPort} \\(.*\\(320\\)` +
              `: the node shut down, or paused as the minority side of a network split\\); ` +
              `reconnecting`,
          ),
          script,
        );
        match(text, /Reconnected to \S+ after [\d.]+ s \(another node of the list\)/, script);
      }
    });

    await t.step("node 1 cut off for 32 s while it leads the queue", async () => {
      const { leaderDuringCut } = await underSplit("split-leader", {
        leader: 0,
        clients: 1,
        count: 10_000,
      });
      ok(leaderDuringCut > 0, `the majority elected a leader of its own (${leaderDuringCut})`);
    });

    await t.step("a rolling restart: each node stopped and started in turn", async () => {
      const stderr = await underLoad(
        "rolling-restart",
        { leader: 0, clients: 0, count: 30_000 },
        async () => {
          const began = performance.now();
          const downs: string[] = [];
          for (const [i, node] of cluster.nodes.entries()) {
            const stoppedAt = performance.now();
            await node.shutDown();
            await sleep(3000); // an upgrade's pause between stop and start
            await node.restart();
            await cluster.awaitWhole(60_000);
            downs.push(`node ${i + 1} out for ${seconds(performance.now() - stoppedAt)}`);
          }
          return `restarted in turn in ${seconds(performance.now() - began)} (${downs.join(", ")})`;
        },
      );
      for (const [script, text] of Object.entries(stderr)) {
        match(
          text,
          new RegExp(`Connection lost to amqp://guest:\\*\\*\\*\\*@127\\.0\\.0\\.1:${cutPort} `),
          script,
        );
        match(text, /Reconnected to \S+ after [\d.]+ s \(another node of the list\)/, script);
      }
    });
  },
});

if (!canCut) {
  console.log("partition_test.ts: skipped, as cutting a node off takes Linux, root and nft");
}
