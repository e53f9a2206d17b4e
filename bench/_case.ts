// One benchmark case, run in a process of its own by bench/bench.ts so that its CPU time and
// peak memory are its own. Prints one JSON line: what it measured and the counts it checked.
//
//   deno run --allow-net --allow-env="AMQP_*" bench/_case.ts '{"kind":...}'

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import process from "node:process";
import { connect, forEachMessage, iterateMessages, publishWithConfirms } from "../lib/mod.ts";
import { readStreamQueue } from "../lib/mod.ts";
import { publishFrames, rawConfirms, rawConfirmSelect, RawConnection, rawConsume } from "./_raw.ts";

/** What bench.ts asks for. */
export interface CaseSpec {
  kind:
    | "publish"
    | "publish-confirm-each"
    | "publish-confirm-window"
    | "consume-get"
    | "consume-callback"
    | "consume-iterator"
    | "stream-read"
    | "latency"
    | "ceiling-publish"
    | "ceiling-consume";
  queue: string;
  count: number;
  prefetch?: number;
  /** The queue's type. Default: classic. */
  queueType?: "classic" | "quorum" | "stream";
  /** Durable queue and persistent messages (delivery mode 2). Default: false, or true for quorum and stream. */
  persistent?: boolean;
  /** This many connections, each on a queue of its own, at once. Default: 1. */
  parallel?: number;
  /** Instead, this many consumers on the one queue, each on a connection of its own. */
  consumers?: number;
  /** The queue has `x-single-active-consumer`: one of `consumers` takes all. Default: false. */
  singleActive?: boolean;
  /** Publishes awaiting confirms at once, for the windowed case. Default: 1000. */
  window?: number;
  /** The publish ceiling in confirm mode: done when the broker has confirmed them all. */
  confirm?: boolean;
  /**
   * A consume case on a queue already holding `count` messages "0".."count-1" (bench --scale
   * fills it with producer.ts, as it fills consumer.ts's): nothing is published first.
   */
  filled?: boolean;
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
  /** With `consumers`: how many of them received anything. */
  receivers?: number;
  /** Round trips, for the latency case: p50 and p99 in ms. */
  p50?: number;
  p99?: number;
}

const body = (i: number) => String(i).padStart(16, "0"); // 16 bytes, and the index
const indexOf = (text: string | null) => Number(text);

/** This process's CPU time so far (user + system), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
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

/** One connection's share of a case: its own queue, and what the timed part does on it. */
interface Lane {
  connection: AMQPBaseClient;
  channel: AMQPChannel;
  queue: string;
  /** The timed part; `first` is this lane's first message index. */
  run(): Promise<void>;
}

async function run(spec: CaseSpec): Promise<CaseResult> {
  const { count, kind } = spec;
  const type = spec.queueType ?? "classic";
  const persistent = spec.persistent ?? type !== "classic";
  const properties = persistent ? { deliveryMode: 2 } : {};
  const shared = spec.consumers !== undefined; // lanes on one queue, sharing its messages
  const lanes = spec.consumers ?? spec.parallel ?? 1;
  const share = shared ? count : Math.ceil(count / lanes);
  const together = { taken: 0, stop: new AbortController() }; // the shared lanes' count
  const takenBy = new Array<number>(lanes).fill(0);
  const seen = tally(count);
  const latencies: number[] = [];

  const prepared: Lane[] = [];
  const opened: RawConnection[] = [];
  const closing: AMQPBaseClient[] = [];
  const url = Deno.env.get("AMQP_URL")!.split(",")[0]!;
  for (let lane = 0; lane < lanes; lane++) {
    const first = shared ? 0 : lane * share;
    const last = Math.min(count, first + share);
    const queue = lanes === 1 || shared ? spec.queue : `${spec.queue}.${lane}`;
    const connection = await connect({ url: Deno.env.get("AMQP_URL"), name: `bench ${kind}` });
    const channel = await connection.channel();
    await channel.queueDeclare(
      queue,
      { durable: persistent, exclusive: false, autoDelete: false },
      {
        ...(type === "classic" ? {} : { "x-queue-type": type }),
        ...(spec.singleActive ? { "x-single-active-consumer": true } : {}),
      },
    );
    const bodies = { length: last - first, at: (i: number) => body(first + i) };
    if (/consume|stream-read/.test(kind) && (!shared || lane === 0) && !spec.filled) {
      await publishWithConfirms(channel, queue, bodies, { window: 1000, properties });
    }
    if (spec.prefetch) await channel.basicQos(spec.prefetch, 0, false);
    let taken = 0;
    // Each lane stops when its own share has arrived, not when the first lane's has; lanes on
    // one queue, when all of it has.
    const stop = shared ? together.stop : new AbortController();
    // Ack and move on, as a Pika callback does: the ack is queued at once and its promise only
    // reports a closed channel, which the consumer notices anyway.
    const take = (message: AMQPMessage) => {
      seen.see(indexOf(message.bodyString()));
      message.ack(false).catch(() => {});
      takenBy[lane]!++;
      if ((shared ? ++together.taken : ++taken) >= last - first) stop.abort();
    };
    const timed: Record<CaseSpec["kind"], () => Promise<void>> = {
      "publish": async () => {
        // Published on a connection of its own, the queue's depth watched on this one, as the
        // ceiling does: the same work, to the same end.
        for (let i = first; i < last; i++) {
          const sent = publisher!.basicPublish("", queue, body(i), properties);
          if (i % 1000 === 999) await sent; // let the socket drain now and then
        }
        await brokerHas(channel, queue, last - first);
        for (let i = first; i < last; i++) seen.see(i);
      },
      "publish-confirm-each": async () => {
        await channel.confirmSelect();
        for (let i = first; i < last; i++) {
          await channel.basicPublish("", queue, body(i), properties);
          seen.see(i);
        }
      },
      "publish-confirm-window": async () => {
        await publishWithConfirms(channel, queue, bodies, {
          window: spec.window ?? 1000,
          properties,
          onConfirm: (_, i) => seen.see(first + i),
        });
      },
      "consume-get": async () => {
        for (
          let message;
          taken < last - first && (message = await channel.basicGet(queue, { noAck: false }));
        ) {
          take(message);
        }
      },
      "consume-callback": () =>
        forEachMessage(channel, queue, take, { noAck: false, stop: stop.signal }),
      "consume-iterator": async () => {
        for await (
          const m of iterateMessages(channel, queue, { noAck: false, stop: stop.signal })
        ) {
          if (m) take(m);
        }
      },
      "stream-read": async () => {
        const done = new AbortController();
        await readStreamQueue(channel, queue, (message) => {
          seen.see(indexOf(message.bodyString()));
          if (++taken >= last - first) done.abort();
        }, { offset: "first", prefetch: spec.prefetch ?? 1000, stop: done.signal });
      },
      "latency": async () => {
        let arrived: (() => void) | undefined;
        const listening = forEachMessage(channel, queue, () => arrived?.(), {
          noAck: true,
          stop: stop.signal,
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (let i = first; i < last; i++) {
          const t0 = performance.now();
          const got = new Promise<void>((resolve) => arrived = resolve);
          await channel.basicPublish("", queue, body(i), {});
          await got;
          latencies.push(performance.now() - t0);
          seen.see(i);
        }
        stop.abort();
        await listening;
      },
      "ceiling-publish": async () => {
        if (spec.confirm) await rawConfirmSelect(raw!);
        const confirmed = spec.confirm ? rawConfirms(raw!, last - first) : undefined;
        await raw!.writeAll(frames!);
        if (confirmed) {
          if (await confirmed) throw new Error("the broker refused messages (nack)");
        } else {
          await brokerHas(channel, queue, last - first);
        }
        for (let i = first; i < last; i++) seen.see(i);
      },
      "ceiling-consume": () =>
        rawConsume(
          raw!,
          queue,
          last - first,
          spec.prefetch ?? 100,
          (view, start, size) => seen.see(digitsAt(view, start, size)),
          type === "stream" ? { "x-stream-offset": "first" } : {},
        ),
    };
    const publisher = kind === "publish"
      ? await (await connect({ url, name: "bench publish" })).channel()
      : undefined;
    if (publisher) closing.push(publisher.connection);
    // The ceiling's connection and frames are made before the clock starts, and the messages
    // it consumes published: only the broker's work is timed.
    const raw = kind.startsWith("ceiling") ? await RawConnection.open(url) : undefined;
    if (raw) opened.push(raw);
    const frames = kind === "ceiling-publish"
      ? publishFrames(queue, last - first, (i) => body(first + i), persistent)
      : undefined;
    prepared.push({ connection, channel, queue, run: timed[kind] });
  }

  const cpuBefore = cpuMs();
  const started = performance.now();
  await Promise.all(prepared.map((lane) => lane.run()));
  const ms = performance.now() - started;
  const cpuAfter = cpuMs();
  opened.forEach((raw) => raw.close());
  for (const connection of closing) await connection.close();
  const deleted = new Set<string>();
  for (const { connection, channel, queue } of prepared) {
    if (deleted.has(queue)) {
      await connection.close();
      continue;
    }
    deleted.add(queue);
    await channel.queueDelete(queue, { ifUnused: false, ifEmpty: false }).catch(async () => {
      await (await connection.channel()).queueDelete(queue, { ifUnused: false, ifEmpty: false });
    });
    await connection.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    count,
    ms,
    startedAt: performance.timeOrigin + started,
    endedAt: performance.timeOrigin + started + ms,
    cpuMs: cpuAfter - cpuBefore,
    peakRssKiB: process.resourceUsage().maxRSS,
    lost: seen.lost(),
    duplicated: seen.duplicated(),
    ...(shared ? { receivers: takenBy.filter((n) => n > 0).length } : {}),
    ...(latencies.length ? { p50: at(0.5), p99: at(0.99) } : {}),
  };
}

/** The whole number written in ASCII digits at `view[start, start + size)`. */
function digitsAt(view: DataView, start: number, size: number): number {
  let n = 0;
  for (let i = start; i < start + size; i++) n = n * 10 + view.getUint8(i) - 48;
  return n;
}

/** Resolves once `queue` holds `count` messages: when publishing without confirms is done. */
async function brokerHas(channel: AMQPChannel, queue: string, count: number): Promise<void> {
  for (let polls = 0; polls < 20_000; polls++) {
    const depth = (await channel.queueDeclare(queue, { passive: true })).messageCount;
    if (depth >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`the broker did not get all ${count} messages`);
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
