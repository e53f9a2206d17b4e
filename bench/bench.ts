/**
 * # `deno task bench`: what each consume style, prefetch and confirm strategy costs
 *
 * Against the broker at `AMQP_URL`, on throwaway queues: publish throughput (no confirms,
 * confirms one at a time, confirms in a window), consume throughput with manual acks for each
 * style and prefetch, round-trip latency, the tutorial scripts' whole-process time next to
 * Pika's, and peak memory. Every figure is the median of several runs with min–max, and every
 * run's message counts are checked: one that lost or duplicated a message is reported as such,
 * not as a rate. Each case runs in a process of its own (bench/_case.ts), so the client's CPU
 * time and memory are its own; the broker's CPU comes from /proc when it runs on this machine.
 *
 *     deno task bench [--quick] [--reps N] [--json FILE] [--svg FILE]
 *
 * @module
 */

import type { CaseResult, CaseSpec } from "./_case.ts";
import { integerFlag, maskUrl, parseFlags, reportFailure, resolveUrl } from "../lib/mod.ts";
import { median, spread, type TutorialRow, tutorialTimes } from "./tutorial.ts";

const USAGE = `Usage: bench.ts [--quick] [--reps N] [--json FILE] [--svg FILE]

Measures publish, consume and round-trip figures against the broker at AMQP_URL.
  --quick      a run of a few seconds (smaller counts, fewer repetitions)
  --reps N     repetitions per case (default 3, quick 2)
  --json FILE  also write the results as JSON
  --svg FILE   where to draw the chart (default bench/out/chart.svg)`;

interface Case {
  id: string;
  label: string;
  spec: Omit<CaseSpec, "queue">;
}

/** Figures for one case over its repetitions. */
interface CaseFigures {
  id: string;
  label: string;
  count: number;
  /** Messages a second, one per clean repetition. */
  rates: number[];
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
  "latency",
]);

function cases(quick: boolean): Case[] {
  const n = (full: number) => quick ? full / 10 : full;
  const list: Case[] = [
    { id: "publish", label: "publish, no confirms", spec: { kind: "publish", count: n(50_000) } },
    {
      id: "confirm-each",
      label: "publish, confirm each",
      spec: { kind: "publish-confirm-each", count: n(3_000) },
    },
    {
      id: "confirm-window",
      label: "publish, confirms in a window of 1000",
      spec: { kind: "publish-confirm-window", count: n(50_000) },
    },
    {
      id: "get",
      label: "consume, basic.get (prefetch n/a)",
      spec: { kind: "consume-get", count: n(3_000) },
    },
  ];
  for (const style of ["callback", "iterator"] as const) {
    for (const prefetch of [1, 100, 1000]) {
      list.push({
        id: `${style}-${prefetch}`,
        label: `consume, ${style}, prefetch ${prefetch}`,
        spec: { kind: `consume-${style}`, count: n(prefetch === 1 ? 5_000 : 30_000), prefetch },
      });
    }
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
  const port = new URL(url).port || "5672";
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
  const command = python ?? Deno.execPath();
  const args = python
    ? [new URL("./pika/throughput.py", import.meta.url).pathname, JSON.stringify(spec)]
    : [
      "run",
      `--allow-net=${new URL(url).host}`,
      "--allow-env=AMQP_*",
      new URL("./_case.ts", import.meta.url).pathname,
      JSON.stringify(spec),
    ];
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    env: { AMQP_URL: url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(new TextDecoder().decode(stderr).trim() || `case ${spec.kind} failed`);
  }
  return JSON.parse(new TextDecoder().decode(stdout)) as CaseResult;
}

function progress(line: string) {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${line}`));
  else console.error(line);
}

/** A horizontal bar per throughput case, median with a min–max whisker. */
function chart(figures: CaseFigures[], title: string): string {
  const rows = figures.filter((f) => f.rates.length && f.id !== "latency");
  const top = Math.max(...rows.flatMap((f) => f.rates), 1);
  const left = 270, width = 480, bar = 18, gap = 10, head = 50;
  const x = (rate: number) => left + (rate / top) * width;
  const height = head + rows.length * (bar + gap) + 30;
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const body = rows.map((f, i) => {
    const y = head + i * (bar + gap);
    const m = median(f.rates);
    const color = f.id.startsWith("publish") || f.id.startsWith("confirm") ? "#4c78a8" : "#f58518";
    return [
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${escape(f.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${x(m) - left}" height="${bar}" fill="${color}"/>`,
      `<line x1="${x(Math.min(...f.rates))}" x2="${x(Math.max(...f.rates))}" y1="${
        y + bar / 2
      }" y2="${y + bar / 2}" stroke="#222"/>`,
      `<text x="${x(Math.max(...f.rates)) + 6}" y="${y + 13}">${
        Math.round(m).toLocaleString("en")
      } msg/s</text>`,
    ].join("\n");
  }).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    left + width + 140
  }" height="${height}" ` +
    `font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="10" y="24" font-size="15" font-weight="bold">${
      escape(title)
    }</text>\n${body}\n</svg>\n`;
}

export async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      quick: { type: "boolean", default: false },
      reps: { type: "string" },
      json: { type: "string" },
      svg: { type: "string", default: new URL("./out/chart.svg", import.meta.url).pathname },
      python: { type: "string", default: "/usr/bin/python3" },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const reps = integerFlag("reps", flags.reps) ?? (flags.quick ? 2 : 3);
    const url = resolveUrl();
    const pid = await brokerPid(url);
    const hasPika = (await new Deno.Command(flags.python, { args: ["-c", "import pika"] })
      .output().catch(() => ({ success: false }))).success;
    const list = cases(flags.quick);
    const figures: CaseFigures[] = [];
    const started = performance.now();

    for (const [index, c] of list.entries()) {
      const results: CaseResult[] = [];
      const brokerCpu: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        progress(`[${index + 1}/${list.length}] ${c.label} (run ${rep + 1}/${reps})`);
        const queue = `bench.${c.id}.${crypto.randomUUID().slice(0, 8)}`;
        // Sample the broker's CPU while the case runs, to read off its timed part alone.
        const samples: [number, number][] = [];
        const sample = () => {
          const cpu = processCpuMs(pid);
          if (cpu !== null) samples.push([Date.now(), cpu]);
        };
        sample();
        const sampler = setInterval(sample, 20);
        const result = await runCase(url, { ...c.spec, queue }).finally(() =>
          clearInterval(sampler)
        );
        sample();
        results.push(result);
        const cpu = cpuBetween(samples, result.startedAt, result.endedAt);
        if (cpu !== null) brokerCpu.push(cpu);
      }
      const pika: CaseResult[] = [];
      for (let rep = 0; hasPika && PIKA_TWINS.has(c.id) && rep < reps; rep++) {
        progress(`[${index + 1}/${list.length}] ${c.label}, Pika (run ${rep + 1}/${reps})`);
        const queue = `bench.pika.${c.id}.${crypto.randomUUID().slice(0, 8)}`;
        // Pika is slower: a smaller count keeps the run near a minute and measures the same rate.
        const count = Math.min(c.spec.count, flags.quick ? 1000 : 10_000);
        pika.push(await runCase(url, { ...c.spec, count, queue }, flags.python));
      }
      const clean = results.filter((r) => r.lost === 0 && r.duplicated === 0);
      figures.push({
        id: c.id,
        label: c.label,
        count: c.spec.count,
        rates: clean.map((r) => (r.count / r.ms) * 1000),
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
              rates: pika.filter((r) => !r.lost && !r.duplicated).map((r) =>
                (r.count / r.ms) * 1000
              ),
              ...(c.spec.kind === "latency" ? { p50: pika.map((r) => r.p50!) } : {}),
              lost: Math.max(...pika.map((r) => r.lost)),
              duplicated: Math.max(...pika.map((r) => r.duplicated)),
            },
          }
          : {}),
      });
    }
    const tutorial: TutorialRow[] = await tutorialTimes({
      url,
      runs: 3,
      python: flags.python,
      onCase: (name, i, total) => progress(`[tutorial ${i + 1}/${total}] ${name}`),
    });
    progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

    // The table.
    const title = `RabbitMQ × Deno, ${reps} runs per case, median (min–max), broker ${
      maskUrl(url)
    }`;
    console.log(title);
    console.log(
      `${"case".padEnd(40)} ${"rate".padEnd(30)} ${"client CPU".padEnd(11)} ${
        "broker CPU".padEnd(11)
      } Pika`,
    );
    for (const f of figures) {
      const rate = f.lost || f.duplicated
        ? `LOST ${f.lost}, DUPLICATED ${f.duplicated}`
        : f.p50
        ? `p50 ${spread(f.p50, "ms", 2)}, p99 ${median(f.p99!).toFixed(2)} ms`
        : spread(f.rates, "msg/s");
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
      console.log(
        `${f.label.padEnd(40)} ${rate.padEnd(30)} ${`${f.clientCpu.toFixed(0)}%`.padEnd(11)} ${
          broker.padEnd(11)
        } ${pika}`,
      );
    }
    console.log(`\nTutorial scripts, whole process (${tutorial[0]?.deno.length ?? 0} runs each)`);
    for (const row of tutorial) {
      const ratio = row.pika.length
        ? `${(median(row.deno) / median(row.pika)).toFixed(2)}× Pika`
        : "";
      console.log(
        `${row.name.padEnd(40)} ${spread(row.deno, "ms").padEnd(22)} Pika ${
          spread(row.pika, "ms").padEnd(22)
        } ${ratio}`,
      );
    }
    const largest = figures.reduce((a, b) => (b.peakRssKiB > a.peakRssKiB ? b : a));
    console.log(
      `\nPeak memory: ${
        (largest.peakRssKiB / 1024).toFixed(0)
      } MiB (${largest.label}, ${largest.count} messages)`,
    );

    await Deno.mkdir(new URL(".", `file://${flags.svg}`), { recursive: true });
    await Deno.writeTextFile(flags.svg, chart(figures, title));
    console.error(`chart: ${flags.svg}`);
    if (flags.json) {
      const machine = {
        cpus: navigator.hardwareConcurrency,
        os: Deno.build.os,
        deno: Deno.version.deno,
      };
      await Deno.writeTextFile(
        flags.json,
        JSON.stringify(
          {
            date: new Date().toISOString(),
            broker: maskUrl(url),
            machine,
            reps,
            figures,
            tutorial,
          },
          null,
          2,
        ),
      );
      console.error(`json: ${flags.json}`);
    }
    return figures.some((f) => f.lost || f.duplicated) ? 1 : 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
