// One benchmark case, run in a process of its own by bench/bench.ts so that its CPU time and
// peak memory are its own. Prints one JSON line: what it measured and the counts it checked.
//
//   deno run --allow-net --allow-env="AMQP_*" bench/_case.ts '{"kind":...}'

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import process from "node:process";
import { basicPublishConfirmed, connect, forEachMessage, iterateMessages } from "../lib/mod.ts";

/** What bench.ts asks for. */
export interface CaseSpec {
  kind:
    | "publish"
    | "publish-confirm-each"
    | "publish-confirm-window"
    | "consume-get"
    | "consume-callback"
    | "consume-iterator"
    | "latency";
  queue: string;
  count: number;
  prefetch?: number;
}

/** What it reports. */
export interface CaseResult {
  count: number;
  ms: number;
  /** When the timed part began and ended, in ms since the epoch (to match broker samples). */
  startedAt: number;
  endedAt: number;
  /** This process's CPU time (user + system) during the timed part, in ms. */
  cpuMs: number;
  /** This process's peak resident memory, in KiB. */
  peakRssKiB: number;
  lost: number;
  duplicated: number;
  /** Round trips, for the latency case: p50 and p99 in ms. */
  p50?: number;
  p99?: number;
}

const body = (i: number) => String(i).padStart(16, "0"); // 16 bytes, and the index
const indexOf = (message: AMQPMessage) => Number(message.bodyString());

/** This process's CPU time so far (user + system), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** This process's peak resident memory, in KiB. */
function peakRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

async function fill(channel: AMQPChannel, queue: string, count: number): Promise<void> {
  const bodies = Array.from({ length: count }, (_, i) => body(i));
  await basicPublishConfirmed(channel, queue, bodies, { window: 1000, properties: {} });
}

/** Counts each index seen; lost and duplicated follow from the counts. */
function tally(count: number) {
  const seen = new Uint8Array(count);
  return {
    see: (i: number) => seen[i]!++,
    lost: () => seen.filter((n) => n === 0).length,
    duplicated: () => seen.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
  };
}

async function run(spec: CaseSpec): Promise<CaseResult> {
  const connection = await connect({ name: `bench ${spec.kind}` });
  const channel = await connection.channel();
  const { queue, count } = spec;
  await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
  if (spec.kind.startsWith("consume")) await fill(channel, queue, count);
  if (spec.prefetch) await channel.basicQos(spec.prefetch, 0, false);
  const seen = tally(count);
  const stop = new AbortController();
  let taken = 0;
  // Ack and move on, as a Pika callback does: the ack is queued at once and its promise only
  // reports a closed channel, which the consumer notices anyway.
  const take = (message: AMQPMessage) => {
    seen.see(indexOf(message));
    message.ack(false).catch(() => {});
    if (++taken >= count) stop.abort();
  };
  const latencies: number[] = [];
  // The latency case's consumer is in place before the clock starts.
  let arrived: (() => void) | undefined;
  const listening = spec.kind === "latency"
    ? forEachMessage(channel, queue, () => arrived?.(), { noAck: true, signal: stop.signal })
    : undefined;
  if (listening) await new Promise((resolve) => setTimeout(resolve, 50));

  const cpuBefore = cpuMs();
  const started = performance.now();
  switch (spec.kind) {
    case "publish": {
      for (let i = 0; i < count; i++) {
        const sent = channel.basicPublish("", queue, body(i), {});
        if (i % 1000 === 999) await sent; // let the socket drain now and then
      }
      // Done when the broker holds them all.
      let depth = 0;
      for (let polls = 0; depth < count && polls < 1000; polls++) {
        depth = (await channel.queueDeclare(queue, { passive: true })).messageCount;
        if (depth < count) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (let i = 0; i < Math.min(depth, count); i++) seen.see(i);
      break;
    }
    case "publish-confirm-each": {
      await channel.confirmSelect();
      for (let i = 0; i < count; i++) {
        await channel.basicPublish("", queue, body(i), {});
        seen.see(i);
      }
      break;
    }
    case "publish-confirm-window": {
      const bodies = Array.from({ length: count }, (_, i) => body(i));
      await basicPublishConfirmed(channel, queue, bodies, {
        window: 1000,
        properties: {},
        onConfirm: (_, i) => seen.see(i),
      });
      break;
    }
    case "consume-get": {
      for (
        let message;
        taken < count && (message = await channel.basicGet(queue, { noAck: false }));
      ) {
        take(message);
      }
      break;
    }
    case "consume-callback": {
      await forEachMessage(channel, queue, take, { noAck: false, signal: stop.signal });
      break;
    }
    case "consume-iterator": {
      for await (
        const message of iterateMessages(channel, queue, { noAck: false, signal: stop.signal })
      ) {
        if (message) take(message);
      }
      break;
    }
    case "latency": {
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const got = new Promise<void>((resolve) => arrived = resolve);
        await channel.basicPublish("", queue, body(i), {});
        await got;
        latencies.push(performance.now() - t0);
        seen.see(i);
      }
      stop.abort();
      await listening;
      break;
    }
  }
  const ms = performance.now() - started;
  const cpuAfter = cpuMs();
  await channel.queueDelete(queue, { ifUnused: false, ifEmpty: false });
  await connection.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    count,
    ms,
    startedAt: performance.timeOrigin + started,
    endedAt: performance.timeOrigin + started + ms,
    cpuMs: cpuAfter - cpuBefore,
    peakRssKiB: peakRssKiB(),
    lost: seen.lost(),
    duplicated: seen.duplicated(),
    ...(latencies.length ? { p50: at(0.5), p99: at(0.99) } : {}),
  };
}

if (import.meta.main) {
  const spec = JSON.parse(Deno.args[0] ?? "{}") as CaseSpec;
  try {
    console.log(JSON.stringify(await run(spec)));
  } catch (error) {
    console.error(`bench case ${spec.kind}: ${(error as Error).message.split("\n")[0]}`);
    Deno.exit(1);
  }
}
