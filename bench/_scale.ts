// `deno task bench --scale`: producer.ts and consumer.ts as a user runs them, as processes, at
// 10^3, 10^4, ... messages on a classic durable queue, with their time, rate and peak memory,
// and the broker's persistent publish ceiling at the same count (bench/_raw.ts), so that anyone
// can see the cost grow with the count, and memory not.

import type { CaseResult } from "./_case.ts";
import { withChannel } from "../lib/mod.ts";
import { scriptArgv } from "../tools/_scripts.ts";

/** One size of the scale run. */
export interface ScaleRow {
  count: number;
  producer: { ms: number; rate: number; peakKiB: number };
  consumer: { ms: number; rate: number; peakKiB: number };
  /** The broker's persistent publish ceiling at this count, messages a second. */
  ceiling: number;
}

/** Runs a script to completion; its wall time and peak resident memory (from /proc). */
async function timedScript(
  url: string,
  script: string,
  args: string[],
): Promise<{ ms: number; peakKiB: number }> {
  const started = performance.now();
  const [deno, ...argv] = scriptArgv(script, args, { url });
  const child = new Deno.Command(deno!, {
    args: argv,
    env: { AMQP_URL: url },
    stdin: "null",
    stdout: "null", // piped output: a line per message, written and dropped
    stderr: "piped",
  }).spawn();
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKiB = Math.max(peakKiB, Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0));
    } catch {
      // gone already
    }
  }, 20);
  const { code, stderr } = await child.output();
  clearInterval(poll);
  if (code !== 0) {
    throw new Error(`${script}: exit ${code}: ${new TextDecoder().decode(stderr).trim()}`);
  }
  return { ms: performance.now() - started, peakKiB };
}

/** Sizes from 10^3 up to `max`, by powers of ten. */
export function sizes(max: number): number[] {
  const out: number[] = [];
  for (let n = 1000; n <= max; n *= 10) out.push(n);
  return out;
}

/** The scale run: producer.ts, the ceiling and consumer.ts at each size. */
export async function scaleRows(
  url: string,
  max: number,
  progress: (line: string) => void,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const count of sizes(max)) {
    const queue = `bench.scale.${count}.${crypto.randomUUID().slice(0, 8)}`;
    progress(`[scale] producer.ts --count ${count}`);
    const produced = await timedScript(url, "producer.ts", [
      "--queue",
      queue,
      "--queue-type",
      "classic",
      "--count",
      `${count}`,
    ]);
    progress(`[scale] consumer.ts, ${count} messages`);
    const consumed = await timedScript(url, "consumer.ts", [
      "--queue",
      queue,
      "--queue-type",
      "classic",
      "--prefetch",
      "100",
      "--max",
      `${count}`,
    ]);
    progress(`[scale] the broker's ceiling, ${count} persistent messages`);
    const spec = { kind: "ceiling-publish", count, persistent: true, queue: `${queue}.ceiling` };
    const [deno, ...argv] = scriptArgv("bench/_case.ts", [JSON.stringify(spec)], { url });
    const { success, stdout, stderr } = await new Deno.Command(deno!, {
      args: argv,
      env: { AMQP_URL: url },
    }).output();
    if (!success) throw new Error(new TextDecoder().decode(stderr).trim());
    const ceiling = JSON.parse(new TextDecoder().decode(stdout)) as CaseResult;
    // consumer.ts --max leaves the emptied queue; remove it (here: a child's argv would show
    // the URL, password and all, to anyone who lists processes).
    await withChannel((channel) => channel.queueDelete(queue), { url, name: "bench --scale" });
    rows.push({
      count,
      producer: { ...produced, rate: (count / produced.ms) * 1000 },
      consumer: { ...consumed, rate: (count / consumed.ms) * 1000 },
      ceiling: (count / ceiling.ms) * 1000,
    });
  }
  return rows;
}

/** The scale table, and a chart of rate and peak memory against the count. */
export function scaleTable(rows: ScaleRow[], broker: string): { text: string; svg: string } {
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const n = (x: number) => Math.round(x).toLocaleString("en");
  const lines = [
    `producer.ts and consumer.ts as processes, classic durable queue, broker ${broker}`,
    `${"messages".padEnd(11)} ${"producer.ts".padEnd(34)} ${"ceiling".padEnd(14)} ${"consumer.ts"}`,
  ];
  for (const r of rows) {
    lines.push(
      `${n(r.count).padEnd(11)} ${
        `${(r.producer.ms / 1000).toFixed(1)} s, ${n(r.producer.rate)} msg/s, ${
          mib(r.producer.peakKiB)
        } MiB`.padEnd(34)
      } ${`${(r.producer.rate / r.ceiling).toFixed(2)} of ${n(r.ceiling)}`.padEnd(14)} ${
        (r.consumer.ms / 1000).toFixed(1)
      } s, ${n(r.consumer.rate)} msg/s, ${mib(r.consumer.peakKiB)} MiB`,
    );
  }
  // Two panels, log-scaled count on x: rate (msg/s) and peak memory (MiB).
  const w = 360, h = 220, pad = 50;
  const xs = rows.map((r) => Math.log10(r.count));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const px = (count: number, left: number) =>
    left + pad + ((Math.log10(count) - x0) / (x1 - x0)) * (w - 2 * pad);
  const panel = (
    left: number,
    title: string,
    series: [string, string, (r: ScaleRow) => number][],
  ) => {
    const top = Math.max(...rows.flatMap((r) => series.map(([, , f]) => f(r))), 1);
    const py = (v: number) => 40 + (h - pad) - (v / top) * (h - pad - 20);
    const paths = series.map(([name, color, f], i) => {
      const points = rows.map((r) => `${px(r.count, left)},${py(f(r))}`).join(" ");
      return `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>` +
        `<text x="${left + pad}" y="${h + 30 + i * 14}" fill="${color}">${name}</text>`;
    }).join("\n");
    const ticks = rows.map((r) =>
      `<text x="${px(r.count, left)}" y="${h + 5}" text-anchor="middle">10^${
        Math.log10(r.count)
      }</text>`
    ).join("");
    return `<text x="${left + pad}" y="30" font-weight="bold">${title} (top ${
      Math.round(top).toLocaleString("en")
    })</text>\n${paths}\n${ticks}`;
  };
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w + 20}" height="${
      h + 90
    }" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n` +
    panel(0, "msg/s", [
      ["broker ceiling (persistent)", "#9d9d9d", (r) => r.ceiling],
      ["producer.ts", "#4c78a8", (r) => r.producer.rate],
      ["consumer.ts", "#f58518", (r) => r.consumer.rate],
    ]) + "\n" +
    panel(w + 20, "peak MiB", [
      ["producer.ts", "#4c78a8", (r) => r.producer.peakKiB / 1024],
      ["consumer.ts", "#f58518", (r) => r.consumer.peakKiB / 1024],
    ]) + "\n</svg>\n";
  return { text: lines.join("\n"), svg };
}
