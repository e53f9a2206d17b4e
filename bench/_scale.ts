// `deno task bench --scale`: producer.ts and consumer.ts as a user runs them, as processes, at
// 10^3, 10^4, ... messages on a classic durable queue, with their time, rate and peak memory,
// and the broker's persistent publish and consume ceilings at the same count (bench/_raw.ts;
// the consume ceiling drains a queue that producer.ts filled, as consumer.ts does), so that
// anyone can see the cost grow with the count, and memory not. A script faster than its ceiling
// is shown as a broken ceiling, not as a fraction.

import type { CaseResult, CaseSpec } from "./_case.ts";
import { withChannel } from "../lib/mod.ts";
import { scriptArgv } from "../tools/_scripts.ts";

/** One size of the scale run. */
export interface ScaleRow {
  count: number;
  producer: { ms: number; rate: number; peakKiB: number };
  consumer: { ms: number; rate: number; peakKiB: number };
  /** The broker's persistent publish ceiling at this count, messages a second. */
  ceiling: number;
  /** The broker's consume ceiling (prefetch 1000, durable messages) at this count. */
  consumeCeiling: number;
}

/** Runs a script to completion; its wall time and peak resident memory (from /proc). */
async function timedScript(
  url: string,
  script: string,
  args: string[],
): Promise<{ ms: number; peakKiB: number }> {
  // Its output goes to a file, as a user's `> out.txt` would: a line per message, written.
  const dir = await Deno.makeTempDir({ prefix: "bench-scale-" });
  using output = await Deno.open(`${dir}/out.txt`, { write: true, createNew: true, mode: 0o600 });
  const started = performance.now();
  const [deno, ...argv] = scriptArgv(script, args, { url });
  const child = new Deno.Command(deno!, {
    args: argv,
    env: { AMQP_URL: url },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const written = child.stdout.pipeTo(output.writable, { preventClose: true });
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKiB = Math.max(peakKiB, Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0));
    } catch {
      // gone already
    }
  }, 20);
  const [{ code }, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    written,
  ]);
  clearInterval(poll);
  await Deno.remove(dir, { recursive: true });
  if (code !== 0) {
    throw new Error(`${script}: exit ${code}: ${stderr.trim()}`);
  }
  return { ms: performance.now() - started, peakKiB };
}

/** One bench case (bench/_case.ts) as a process of its own, on a queue of its own. */
async function runCase(
  url: string,
  spec: Omit<CaseSpec, "queue">,
  queue = `bench.scale.${spec.kind}.${crypto.randomUUID().slice(0, 8)}`,
): Promise<CaseResult> {
  const [deno, ...argv] = scriptArgv("bench/_case.ts", [JSON.stringify({ ...spec, queue })], {
    url,
  });
  const { success, stdout, stderr } = await new Deno.Command(deno!, {
    args: argv,
    env: { AMQP_URL: url },
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr).trim());
  const result = JSON.parse(new TextDecoder().decode(stdout)) as CaseResult;
  if (result.lost || result.duplicated) {
    throw new Error(`${spec.kind}: ${result.lost} lost, ${result.duplicated} duplicated`);
  }
  return result;
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
    const produce = (into: string) =>
      timedScript(url, "producer.ts", [
        "--queue",
        into,
        "--queue-type",
        "classic",
        "--count",
        `${count}`,
      ]);
    progress(`[scale] producer.ts --count ${count}`);
    const produced = await produce(queue);
    // The consume ceiling's queue is filled the same way, so that both consumers find the
    // broker's disk in the same state: a queue filled at full speed and drained at once keeps
    // the broker writing behind the reads, and made consumer.ts look faster than the broker.
    const rawQueue = `${queue}.raw`;
    progress(`[scale] producer.ts --count ${count}, for the consume ceiling`);
    await produce(rawQueue);
    progress(`[scale] consumer.ts, ${count} messages`);
    const consumed = await timedScript(url, "consumer.ts", [
      "--queue",
      queue,
      "--queue-type",
      "classic",
      "--prefetch",
      "1000",
      "--max",
      `${count}`,
    ]);
    progress(`[scale] the broker's ceilings, ${count} persistent messages`);
    const ceiling = await runCase(url, { kind: "ceiling-publish", persistent: true, count });
    const consumeCeiling = await runCase(url, {
      kind: "ceiling-consume",
      persistent: true,
      prefetch: 1000,
      count,
      filled: true,
    }, rawQueue);
    // consumer.ts --max leaves the emptied queue; remove it (here: a child's argv would show
    // the URL, password and all, to anyone who lists processes).
    await withChannel((channel) => channel.queueDelete(queue), { url, name: "bench --scale" });
    rows.push({
      count,
      producer: { ...produced, rate: (count / produced.ms) * 1000 },
      consumer: { ...consumed, rate: (count / consumed.ms) * 1000 },
      ceiling: (count / ceiling.ms) * 1000,
      consumeCeiling: (count / consumeCeiling.ms) * 1000,
    });
  }
  return rows;
}

/** The scale table, and a chart of rate and peak memory against the count. */
export function scaleTable(rows: ScaleRow[], broker: string): { text: string; svg: string } {
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const n = (x: number) => Math.round(x).toLocaleString("en");
  // A script is timed whole (start-up and close too), its ceiling only at its work: a script
  // faster than that by more than 5% means the ceiling measured something else, not a result.
  const of = (rate: number, ceiling: number) =>
    rate > ceiling * 1.05
      ? `BROKEN CEILING (${n(ceiling)})`
      : `${(rate / ceiling).toFixed(2)} of ${n(ceiling)}`;
  const lines = [
    `producer.ts and consumer.ts as processes, classic durable queue, broker ${broker}`,
    `${"messages".padEnd(11)} ${"producer.ts".padEnd(34)} ${"ceiling".padEnd(14)} ${
      "consumer.ts --prefetch 1000 > file".padEnd(36)
    } ceiling`,
  ];
  for (const r of rows) {
    lines.push(
      `${n(r.count).padEnd(11)} ${
        `${(r.producer.ms / 1000).toFixed(1)} s, ${n(r.producer.rate)} msg/s, ${
          mib(r.producer.peakKiB)
        } MiB`.padEnd(34)
      } ${of(r.producer.rate, r.ceiling).padEnd(14)} ${
        `${(r.consumer.ms / 1000).toFixed(1)} s, ${n(r.consumer.rate)} msg/s, ${
          mib(r.consumer.peakKiB)
        } MiB`.padEnd(36)
      } ${of(r.consumer.rate, r.consumeCeiling)}`,
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
      ["broker ceiling (persistent publish)", "#9d9d9d", (r) => r.ceiling],
      ["broker ceiling (consume)", "#c7c7c7", (r) => r.consumeCeiling],
      ["producer.ts", "#4c78a8", (r) => r.producer.rate],
      ["consumer.ts", "#f58518", (r) => r.consumer.rate],
    ]) + "\n" +
    panel(w + 20, "peak MiB", [
      ["producer.ts", "#4c78a8", (r) => r.producer.peakKiB / 1024],
      ["consumer.ts", "#f58518", (r) => r.consumer.peakKiB / 1024],
    ]) + "\n</svg>\n";
  return { text: lines.join("\n"), svg };
}
