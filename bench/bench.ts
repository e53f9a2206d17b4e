/**
 * # `deno task bench`: what each style, prefetch, confirm strategy and queue type costs
 *
 * Against the broker at `AMQP_URL`, on throwaway queues: the broker's own ceiling (AMQP spoken
 * by hand on a raw socket, bench/_raw.ts), then the client's publish, confirm and consume cases
 * beside it as a fraction of it, with the client's CPU per message; quorum queues, streams and
 * several connections at once; round-trip latency; the tutorial scripts' whole-process time
 * next to Pika's; and peak memory. Every figure is the median of several runs with min–max, and
 * every run's message counts are checked: one that lost or duplicated a message is reported as
 * such, not as a rate. Each case runs in a process of its own (bench/_case.ts). `--cluster`
 * runs the queue-type cases again on a private three-node cluster; `--scale` times producer.ts
 * and consumer.ts as processes at 10^3 ... 10^6 messages.
 *
 *     deno task bench --quick
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { CaseResult, CaseSpec } from "./_case.ts";
import { brokerAddresses, brokerUrls, integerFlag, maskUrl, parseFlags } from "../lib/mod.ts";
import { reportFailure, resolveUrl } from "../lib/mod.ts";
import { scriptArgv } from "../tools/_scripts.ts";
import { median, spread, type TutorialRow, tutorialTable, tutorialTimes } from "./tutorial.ts";
import { scaleRows, scaleTable } from "./_scale.ts";

const USAGE = `Usage: bench.ts [--quick] [--reps N] [--cluster] [--scale] [--json FILE] [--svg FILE]

Measures publish, consume and round-trip figures against the broker at AMQP_URL, each beside
the broker's own ceiling.
  --quick        a run of seconds rather than minutes (smaller counts, fewer repetitions;
                 a smoke test: its figures are too noisy to quote)
  --reps N       repetitions per case (default 3, quick 1)
  --cluster      also run the queue-type cases on a private three-node cluster
  --scale        instead, time producer.ts and consumer.ts at 10^3 ... --scale-max messages
  --scale-max N  the largest count for --scale (default 1000000)
  --json FILE    also write the results as JSON
  --svg FILE     where to draw the chart (default bench/out/chart.svg; scale.svg for --scale)`;

interface Case {
  id: string;
  label: string;
  spec: Omit<CaseSpec, "queue">;
  /** The broker ceiling this case is a fraction of. */
  ceiling?: string;
  /**
   * Bound by round trips (basic.get, prefetch 1): shown as a fraction of one message per round
   * trip (the latency case's p50) instead of a ceiling.
   */
  roundTrip?: boolean;
  /** Runs again on the cluster with --cluster. */
  cluster?: boolean;
  /** Another case this one is weighed against: its median rate as a fraction of that one's. */
  against?: string;
}

/** Figures for one case over its repetitions. */
interface CaseFigures {
  id: string;
  label: string;
  count: number;
  /** Messages a second, one per clean repetition. */
  rates: number[];
  /** The id of the ceiling it is weighed against, if any. */
  ceiling?: string;
  /**
   * Its ceiling's rates in the runs made just before this case's own, one per run (each the
   * better of two runs back to back).
   */
  ceilingRates?: number[];
  /** The median rate as a fraction of the median of `ceilingRates`, if it has a ceiling. */
  ofCeiling?: number;
  /**
   * Above its ceiling by more than the runs' spread: the ceiling does not measure what it should,
   * so `ofCeiling` is no result.
   */
  brokenCeiling?: boolean;
  /** A round-trip-bound case (basic.get, prefetch 1). */
  roundTrip?: boolean;
  /** Its rate as a fraction of one message per round trip. */
  ofRoundTrip?: number;
  /** Its median rate as a fraction of the case it is weighed against (`against`). */
  ofOther?: { id: string; ratio: number };
  /** Consumers on one queue: the most of them that received anything over repetitions, of how many. */
  receivers?: { received: number; of: number };
  /** Client CPU per message, in microseconds, median over repetitions. */
  cpuPerMessage: number;
  /** CPU of one core in use, percent, median over repetitions. */
  clientCpu: number;
  brokerCpu: number | null;
  lost: number;
  duplicated: number;
  peakRssKiB: number;
  p50?: number[];
  p99?: number[];
  /** The same case with Pika (bench/pika/throughput.py), where it has a twin. */
  pika?: { rates: number[]; p50?: number[]; lost: number; duplicated: number };
}

/** The cases Pika's BlockingConnection can do the same way. */
const PIKA_TWINS = new Set([
  "publish",
  "confirm-each",
  "get",
  "callback-100",
  "callback-1000",
  "quorum-consume",
  "latency",
]);

function cases(quick: boolean): Case[] {
  const n = (full: number) => quick ? full / 10 : full;
  const persistent = { persistent: true };
  const list: Case[] = [
    // The broker's ceilings: what it takes when the client costs next to nothing.
    {
      id: "ceiling-transient",
      label: "broker ceiling: publish, transient",
      spec: { kind: "ceiling-publish", count: n(100_000) },
    },
    {
      id: "ceiling-persistent",
      label: "broker ceiling: publish, persistent",
      spec: { kind: "ceiling-publish", count: n(50_000), ...persistent },
    },
    {
      id: "ceiling-persistent-confirmed",
      label: "broker ceiling: publish, persistent, confirmed",
      spec: { kind: "ceiling-publish", count: n(50_000), ...persistent, confirm: true },
    },
    {
      id: "ceiling-consume-100",
      label: "broker ceiling: consume, prefetch 100",
      spec: { kind: "ceiling-consume", count: n(60_000), prefetch: 100 },
    },
    {
      id: "ceiling-consume-1000",
      label: "broker ceiling: consume, prefetch 1000",
      spec: { kind: "ceiling-consume", count: n(60_000), prefetch: 1000 },
    },
    {
      id: "ceiling-quorum",
      label: "broker ceiling: quorum, publish, confirmed",
      spec: { kind: "ceiling-publish", count: n(40_000), queueType: "quorum", confirm: true },
      cluster: true,
    },
    {
      id: "ceiling-quorum-consume",
      label: "broker ceiling: quorum, consume, prefetch 100",
      spec: { kind: "ceiling-consume", count: n(40_000), queueType: "quorum", prefetch: 100 },
      cluster: true,
    },
    {
      id: "ceiling-stream",
      label: "broker ceiling: stream, publish, confirmed",
      spec: { kind: "ceiling-publish", count: n(40_000), queueType: "stream", confirm: true },
      cluster: true,
    },
    {
      id: "ceiling-stream-read",
      label: "broker ceiling: stream, read from first, prefetch 1000",
      spec: { kind: "ceiling-consume", count: n(40_000), queueType: "stream", prefetch: 1000 },
      cluster: true,
    },
    // The client, beside them.
    {
      id: "publish",
      label: "publish, no confirms",
      spec: { kind: "publish", count: n(100_000) },
      ceiling: "ceiling-transient",
    },
    {
      id: "confirm-each",
      label: "publish, confirm each",
      spec: { kind: "publish-confirm-each", count: n(3_000) },
    },
    {
      id: "confirm-window",
      label: "publish, confirms in a window of 1000",
      spec: { kind: "publish-confirm-window", count: n(50_000) },
      ceiling: "ceiling-transient",
    },
    {
      id: "confirm-window-persistent",
      label: "publish persistent, window of 1000",
      spec: { kind: "publish-confirm-window", count: n(50_000), ...persistent },
      // Like for like: the broker confirms a persistent message only once it is on disk.
      ceiling: "ceiling-persistent-confirmed",
    },
    {
      id: "get",
      label: "consume, basic.get (prefetch n/a)",
      spec: { kind: "consume-get", count: n(3_000) },
      roundTrip: true,
    },
  ];
  for (const style of ["callback", "iterator"] as const) {
    for (const prefetch of [1, 100, 1000]) {
      list.push({
        id: `${style}-${prefetch}`,
        label: `consume, ${style}, prefetch ${prefetch}`,
        spec: { kind: `consume-${style}`, count: n(prefetch === 1 ? 5_000 : 60_000), prefetch },
        ceiling: prefetch === 1 ? undefined : `ceiling-consume-${prefetch}`,
        roundTrip: prefetch === 1,
      });
    }
  }
  list.push(
    {
      id: "quorum-publish",
      label: "quorum: publish, window of 1000",
      spec: { kind: "publish-confirm-window", count: n(40_000), queueType: "quorum" },
      ceiling: "ceiling-quorum",
      cluster: true,
    },
    {
      id: "quorum-consume",
      label: "quorum: consume, callback, prefetch 100",
      spec: { kind: "consume-callback", count: n(40_000), queueType: "quorum", prefetch: 100 },
      ceiling: "ceiling-quorum-consume",
      cluster: true,
    },
    {
      id: "stream-publish",
      label: "stream: publish, window of 1000",
      spec: { kind: "publish-confirm-window", count: n(40_000), queueType: "stream" },
      ceiling: "ceiling-stream",
      cluster: true,
    },
    {
      id: "stream-read",
      label: "stream: read from first, prefetch 1000",
      spec: { kind: "stream-read", count: n(40_000), queueType: "stream", prefetch: 1000 },
      ceiling: "ceiling-stream-read",
      cluster: true,
    },
  );
  for (const parallel of [1, 2, 4]) {
    list.push({
      id: `parallel-publish-${parallel}`,
      label: `${parallel} publisher(s), ${parallel} queue(s), persistent`,
      spec: { kind: "publish-confirm-window", count: n(40_000), ...persistent, parallel },
    });
  }
  for (const parallel of [1, 2, 4]) {
    list.push({
      id: `parallel-consume-${parallel}`,
      label: `${parallel} consumer(s), ${parallel} queue(s), prefetch 100`,
      spec: { kind: "consume-callback", count: n(40_000), prefetch: 100, parallel },
    });
  }
  // One queue, two consumers: one active of the two (single active consumer, ordered) against
  // both taking messages (competing consumers).
  for (const singleActive of [false, true]) {
    list.push({
      id: singleActive ? "quorum-single-active" : "quorum-competing",
      label: singleActive
        ? "quorum: single active consumer, 1 of 2"
        : "quorum: 2 competing consumers",
      spec: {
        kind: "consume-callback",
        count: n(5_000),
        queueType: "quorum",
        prefetch: 100,
        consumers: 2,
        singleActive,
      },
      against: singleActive ? "quorum-competing" : undefined,
    });
  }
  list.push({
    id: "latency",
    label: "round trip (sequential)",
    spec: { kind: "latency", count: n(3_000) },
  });
  return list;
}

/** The broker's process, if it listens on this machine: its pid, for /proc. */
async function brokerPid(url: string): Promise<number | null> {
  const port = brokerAddresses(url)[0]!.split(":").at(-1);
  try {
    const { stdout } = await new Deno.Command("ss", { args: ["-ltnpH", `sport = :${port}`] })
      .output();
    return Number(new TextDecoder().decode(stdout).match(/pid=(\d+)/)?.[1]) || null;
  } catch {
    return null;
  }
}

/** CPU time of process `pid` so far, in ms (utime + stime), or null. */
function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // 100 clock ticks a second
  } catch {
    return null;
  }
}

/** Percent of one core used between `from` and `to`, from [time, cpu ms] samples. */
function cpuBetween(samples: [number, number][], from: number, to: number): number | null {
  const before = samples.findLast(([t]) => t <= from);
  const after = samples.find(([t]) => t >= to);
  if (!before || !after || after[0] <= before[0]) return null;
  return ((after[1] - before[1]) / (after[0] - before[0])) * 100;
}

async function runCase(url: string, spec: CaseSpec, python?: string): Promise<CaseResult> {
  const [command, ...args] = python
    ? [python, new URL("./pika/throughput.py", import.meta.url).pathname, JSON.stringify(spec)]
    : scriptArgv("bench/_case.ts", [JSON.stringify(spec)], { url });
  const { success, stdout, stderr } = await new Deno.Command(command!, {
    args,
    env: { AMQP_URL: python ? brokerUrls(url)[0]! : url }, // Pika takes one broker
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(new TextDecoder().decode(stderr).trim() || `case ${spec.kind} failed`);
  }
  return JSON.parse(new TextDecoder().decode(stdout)) as CaseResult;
}

/** Progress on stderr: one rewritten line on a terminal, a line per step otherwise. */
export function progress(line: string) {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${line}`));
  else console.error(line);
}

/** Runs every case `reps` times (Pika's twins too) and sums up each. */
async function measure(
  url: string,
  list: Case[],
  options: { reps: number; quick: boolean; python: string; hasPika: boolean; where: string },
): Promise<CaseFigures[]> {
  const pid = await brokerPid(url);
  const figures: CaseFigures[] = [];
  /** One run of `c`, with the broker's CPU over its timed part (null where it cannot be read). */
  const once = async (c: Case, step: string) => {
    progress(`[${options.where} ${step}] ${c.label}`);
    const queue = `bench.${c.id}.${crypto.randomUUID().slice(0, 8)}`;
    // Sample the broker's CPU while the case runs, to read off its timed part alone.
    const samples: [number, number][] = [];
    const sample = () => {
      const cpu = processCpuMs(pid);
      if (cpu !== null) samples.push([Date.now(), cpu]);
    };
    sample();
    const sampler = setInterval(sample, 20);
    const result = await runCase(url, { ...c.spec, queue }).finally(() => clearInterval(sampler));
    sample();
    return { result, brokerCpu: cpuBetween(samples, result.startedAt, result.endedAt) };
  };
  const rateOf = (r: CaseResult) => (r.count / r.ms) * 1000;
  const clean = (r: CaseResult) => r.lost === 0 && r.duplicated === 0;
  // A cold broker is slower at first: one run, not counted, before anything is measured.
  if (list[0]) await once(list[0], "warm-up");
  for (const [index, c] of list.entries()) {
    const results: CaseResult[] = [];
    const brokerCpu: number[] = [];
    const ceiling = figures.find((f) => f.id === c.ceiling);
    const ceilingCase = list.find((other) => other.id === c.ceiling);
    // Each run of a case with a ceiling follows runs of that ceiling, in the same minute: the
    // fraction is of the ceiling as the broker was then, and the ceiling's row pools them all.
    const paired: number[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      const step = `${index + 1}/${list.length}, run ${rep + 1}`;
      if (ceiling && ceilingCase) {
        // The better of two runs back to back (one with --quick): a ceiling is the most the
        // broker can do, and on a shared machine a run is only ever slowed (a stall, another
        // process), never sped up, so a slow ceiling run would flatter the client beside it.
        let best: number | undefined;
        for (let take = 1; take <= (options.quick ? 1 : 2); take++) {
          const { result } = await once(
            ceilingCase,
            `${step}, its ceiling${take > 1 ? ", again" : ""}`,
          );
          if (clean(result)) {
            ceiling.rates.push(rateOf(result));
            best = Math.max(best ?? 0, rateOf(result));
          }
        }
        if (best !== undefined) paired.push(best);
      }
      const run = await once(c, step);
      results.push(run.result);
      if (run.brokerCpu !== null) brokerCpu.push(run.brokerCpu);
    }
    const pika: CaseResult[] = [];
    for (let rep = 0; options.hasPika && PIKA_TWINS.has(c.id) && rep < options.reps; rep++) {
      progress(`[${options.where} ${index + 1}/${list.length}] ${c.label}, Pika (run ${rep + 1})`);
      const queue = `bench.pika.${c.id}.${crypto.randomUUID().slice(0, 8)}`;
      // Pika is slower: a smaller count keeps the run short and measures the same rate.
      const count = Math.min(c.spec.count, options.quick ? 1000 : 10_000);
      pika.push(await runCase(url, { ...c.spec, count, queue }, options.python));
    }
    const rates = results.filter(clean).map(rateOf);
    const other = figures.find((f) => f.id === c.against);
    figures.push({
      id: c.id,
      label: c.label,
      count: c.spec.count,
      rates,
      ...(paired.length && rates.length
        ? {
          ceiling: c.ceiling,
          ceilingRates: paired,
          ofCeiling: median(rates) / median(paired),
          brokenCeiling: aboveCeiling(rates, paired),
        }
        : {}),
      ...(c.roundTrip ? { roundTrip: true } : {}),
      ...(other?.rates.length && rates.length
        ? { ofOther: { id: other.id, ratio: median(rates) / median(other.rates) } }
        : {}),
      ...(c.spec.consumers
        ? {
          receivers: {
            received: Math.max(...results.map((r) => r.receivers ?? 0)),
            of: c.spec.consumers,
          },
        }
        : {}),
      cpuPerMessage: median(results.map((r) => (r.cpuMs * 1000) / r.count)),
      clientCpu: median(results.map((r) => (r.cpuMs / r.ms) * 100)),
      brokerCpu: brokerCpu.length ? median(brokerCpu) : null,
      lost: Math.max(...results.map((r) => r.lost)),
      duplicated: Math.max(...results.map((r) => r.duplicated)),
      peakRssKiB: Math.max(...results.map((r) => r.peakRssKiB)),
      ...(c.spec.kind === "latency"
        ? { p50: results.map((r) => r.p50!), p99: results.map((r) => r.p99!) }
        : {}),
      ...(pika.length
        ? {
          pika: {
            rates: pika.filter((r) => !r.lost && !r.duplicated).map((r) => (r.count / r.ms) * 1000),
            ...(c.spec.kind === "latency" ? { p50: pika.map((r) => r.p50!) } : {}),
            lost: Math.max(...pika.map((r) => r.lost)),
            duplicated: Math.max(...pika.map((r) => r.duplicated)),
          },
        }
        : {}),
    });
  }
  againstRoundTrip(figures);
  return figures;
}

/**
 * Whether a client beat its ceiling by more than the runs' spread: its median above the
 * ceiling's by more than the larger relative spread (max - min over median) of the two, and at
 * least 5% (one run has no spread).
 */
export function aboveCeiling(client: number[], ceiling: number[]): boolean {
  const relative = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / median(xs);
  const margin = Math.max(0.05, relative(client), relative(ceiling));
  return median(client) > median(ceiling) * (1 + margin);
}

/** The round-trip-bound cases as a fraction of one message per round trip (latency's p50). */
function againstRoundTrip(figures: CaseFigures[]): void {
  const latency = figures.find((f) => f.id === "latency");
  if (!latency?.p50?.length) return;
  const perSecond = 1000 / median(latency.p50);
  for (const f of figures) {
    if (f.roundTrip && f.rates.length) f.ofRoundTrip = median(f.rates) / perSecond;
  }
}

/** The table: one row per case. */
function table(figures: CaseFigures[]): string[] {
  const rows = [
    `${"case".padEnd(46)} ${"rate".padEnd(30)} ${"of ceiling".padEnd(12)} ${"µs/msg".padEnd(7)} ${
      "client".padEnd(7)
    } ${"broker".padEnd(7)} Pika`,
  ];
  for (const f of figures) {
    const rate = f.lost || f.duplicated
      ? `LOST ${f.lost}, DUPLICATED ${f.duplicated}`
      : f.p50
      ? `p50 ${spread(f.p50, "ms", 2)}, p99 ${median(f.p99!).toFixed(2)} ms`
      : spread(f.rates, "msg/s");
    const of = f.brokenCeiling
      ? `BROKEN CEILING (${f.ofCeiling!.toFixed(2)})`
      : f.ofCeiling !== undefined
      ? f.ofCeiling.toFixed(2)
      : f.ofRoundTrip !== undefined
      ? `${f.ofRoundTrip.toFixed(2)} RTT`
      : "";
    const broker = f.brokerCpu === null ? "n/a" : `${f.brokerCpu.toFixed(0)}%`;
    const pika = !f.pika
      ? ""
      : f.pika.lost || f.pika.duplicated
      ? `LOST ${f.pika.lost}, DUPLICATED ${f.pika.duplicated}`
      : f.pika.p50
      ? `p50 ${median(f.pika.p50).toFixed(2)} ms`
      : `${median(f.pika.rates).toFixed(0)} msg/s (Deno ${
        (median(f.rates) / median(f.pika.rates)).toFixed(1)
      }×)`;
    rows.push(
      `${f.label.padEnd(46)} ${rate.padEnd(30)} ${of.padEnd(12)} ${
        f.cpuPerMessage.toFixed(1).padEnd(7)
      } ${`${f.clientCpu.toFixed(0)}%`.padEnd(7)} ${broker.padEnd(7)} ${pika}`,
    );
  }
  return rows;
}

/** A line per case weighed against another: the ratio of their rates, and who received. */
function comparisons(figures: CaseFigures[]): string[] {
  return figures.filter((f) => f.ofOther).map((f) => {
    const other = figures.find((o) => o.id === f.ofOther!.id)!;
    const receivers = f.receivers
      ? ` (${f.receivers.received} of ${f.receivers.of} consumers received)`
      : "";
    return `${f.label}: ${f.ofOther!.ratio.toFixed(2)} of ${other.label}${receivers}`;
  });
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** A horizontal bar per throughput case, median with a min–max whisker, and its fraction. */
function chart(figures: CaseFigures[], title: string): string {
  const rows = figures.filter((f) => f.rates.length && f.id !== "latency");
  const top = Math.max(...rows.flatMap((f) => f.rates), 1);
  const left = 330, width = 480, bar = 16, gap = 8, head = 50;
  const x = (rate: number) => left + (rate / top) * width;
  const height = head + rows.length * (bar + gap) + 30;
  const body = rows.map((f, i) => {
    const y = head + i * (bar + gap);
    const m = median(f.rates);
    const color = f.id.startsWith("ceiling")
      ? "#9d9d9d"
      : /publish|confirm/.test(f.id)
      ? "#4c78a8"
      : "#f58518";
    const of = f.ofCeiling === undefined ? "" : ` (${f.ofCeiling.toFixed(2)} of ceiling)`;
    return [
      `<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escape(f.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${x(m) - left}" height="${bar}" fill="${color}"/>`,
      `<line x1="${x(Math.min(...f.rates))}" x2="${x(Math.max(...f.rates))}" y1="${
        y + bar / 2
      }" y2="${y + bar / 2}" stroke="#222"/>`,
      `<text x="${x(Math.max(...f.rates)) + 6}" y="${y + 12}">${
        Math.round(m).toLocaleString("en")
      } msg/s${of}</text>`,
    ].join("\n");
  }).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    left + width + 230
  }" height="${height}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="10" y="24" font-size="15" font-weight="bold">${
      escape(title)
    }</text>\n${body}\n</svg>\n`;
}

async function writeOutput(path: string, text: string) {
  const file = resolve(path);
  await Deno.mkdir(dirname(file), { recursive: true });
  await Deno.writeTextFile(file, text);
  return file;
}

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      quick: { type: "boolean", default: false },
      reps: { type: "string" },
      cluster: { type: "boolean", default: false },
      scale: { type: "boolean", default: false },
      "scale-max": { type: "string", default: "1000000" },
      json: { type: "string" },
      svg: { type: "string" },
      python: { type: "string", default: "/usr/bin/python3" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const url = resolveUrl();
    const started = performance.now();
    if (flags.scale) {
      const max = integerFlag("scale-max", flags["scale-max"], 1000);
      const rows = await scaleRows(url, max, progress);
      progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      const { text, svg } = scaleTable(rows, maskUrl(url));
      console.log(text);
      const file = await writeOutput(
        flags.svg ?? new URL("./out/scale.svg", import.meta.url).pathname,
        svg,
      );
      console.error(`chart: ${file}`);
      if (flags.json) await writeOutput(flags.json, JSON.stringify({ scale: rows }, null, 2));
      return 0;
    }
    const reps = integerFlag("reps", flags.reps) ?? (flags.quick ? 1 : 3);
    const hasPika = (await new Deno.Command(flags.python, { args: ["-c", "import pika"] })
      .output().catch(() => ({ success: false }))).success;
    const options = { reps, quick: flags.quick, python: flags.python, hasPika };
    const list = cases(flags.quick);
    const figures = await measure(url, list, { ...options, where: "one node" });
    let clusterFigures: CaseFigures[] = [];
    if (flags.cluster) {
      progress("starting a private three-node cluster (about 30 s)");
      const { startPrivateCluster } = await import("../tools/private_cluster.ts");
      await using cluster = await startPrivateCluster();
      clusterFigures = await measure(
        cluster.url,
        list.filter((c) => c.cluster),
        { ...options, hasPika: false, where: "cluster" },
      );
    }
    const tutorial: TutorialRow[] = await tutorialTimes({
      url,
      runs: 3,
      python: flags.python,
      onCase: (name, i, total) => progress(`[tutorial ${i + 1}/${total}] ${name}`),
    });
    progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

    const title = `RabbitMQ × Deno, ${reps} run(s) per case, median (min–max), broker ${
      maskUrl(url)
    }`;
    console.log(title);
    for (const row of table(figures)) console.log(row);
    for (const line of comparisons(figures)) console.log(line);
    if (clusterFigures.length) {
      console.log(
        "\nOn a private three-node cluster (the cost of replication: cluster / one node)",
      );
      for (const row of table(clusterFigures)) console.log(row);
      for (const f of clusterFigures) {
        const single = figures.find((s) => s.id === f.id);
        if (single?.rates.length && f.rates.length) {
          console.log(
            `  ${f.label}: ${
              (median(f.rates) / median(single.rates)).toFixed(2)
            } of one node's rate`,
          );
        }
      }
    }
    console.log(`\nTutorial scripts, whole process (${tutorial[0]?.deno.length ?? 0} runs each)`);
    for (const line of tutorialTable(tutorial)) console.log(line);
    const largest = figures.reduce((a, b) => (b.peakRssKiB > a.peakRssKiB ? b : a));
    console.log(
      `\nPeak memory: ${
        (largest.peakRssKiB / 1024).toFixed(0)
      } MiB (${largest.label}, ${largest.count} messages)`,
    );

    const svg = await writeOutput(
      flags.svg ?? new URL("./out/chart.svg", import.meta.url).pathname,
      chart(figures, title),
    );
    console.error(`chart: ${svg}`);
    if (flags.json) {
      const machine = {
        cpus: navigator.hardwareConcurrency,
        os: Deno.build.os,
        deno: Deno.version.deno,
      };
      const json = {
        date: new Date().toISOString(),
        broker: maskUrl(url),
        machine,
        reps,
        figures,
        cluster: clusterFigures,
        tutorial,
      };
      console.error(`json: ${await writeOutput(flags.json, JSON.stringify(json, null, 2))}`);
    }
    const all = [...figures, ...clusterFigures];
    return all.some((f) => f.lost || f.duplicated) ? 1 : 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
