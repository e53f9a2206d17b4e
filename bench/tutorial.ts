/**
 * # The tutorial run, timed: producer.ts and consumer.ts against their Pika twins
 *
 * Whole-process wall time (start, connect, 100 messages, close, exit) of producer.ts, and of
 * consumer.ts taking 100 messages in each style, next to bench/pika/*.py on the same broker.
 * Each case runs `--runs` times (default 15) on a fresh queue; the median, min and max are
 * shown, and the counts are checked: a run that did not print 100 lines fails the benchmark.
 * bench.ts runs the same measurement as part of `deno task bench`.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env="AMQP_*" --allow-run=deno,/usr/bin/python3 \
 *       --allow-read bench/tutorial.ts --runs 3
 *
 * Needs Pika for the comparison (Debian: `apt-get install python3-pika`); without it only the
 * Deno side is measured.
 *
 * @module
 */

import { brokerUrls, connect, declareQueue, integerFlag } from "../lib/mod.ts";
import { scriptArgv } from "../tools/_scripts.ts";
import { maskUrl } from "../lib/mod.ts";
import { parseFlags } from "../lib/mod.ts";
import { publishWithConfirms, reportFailure, resolveUrl } from "../lib/mod.ts";

const COUNT = 100;
const STYLES = ["callback", "get", "iterator"] as const;
const here = new URL(".", import.meta.url).pathname;

/**
 * One tutorial case: whole-process times in ms, Deno's, the floor's (the same exchange with
 * the broker on a raw socket, bench/_floor.ts) and (when available) Pika's.
 */
export interface TutorialRow {
  name: string;
  deno: number[];
  floor: number[];
  pika: number[];
}

/** Options for {@linkcode tutorialTimes}. */
export interface TutorialOptions {
  url: string;
  runs: number;
  /** The Python with Pika. Default: /usr/bin/python3. */
  python?: string;
  /** Hears each case's name before it runs. */
  onCase?: (name: string, index: number, total: number) => void;
}

/** Runs every tutorial case `runs` times against Deno and Pika, alternating which goes first. */
export async function tutorialTimes(options: TutorialOptions): Promise<TutorialRow[]> {
  const { url, runs, python = "/usr/bin/python3" } = options;
  const hasPika = (await new Deno.Command(python, { args: ["-c", "import pika"] })
    .output().catch(() => ({ success: false }))).success;
  // "deno" by name, as the task's --allow-run=deno allows.
  const deno = (script: string, ...args: string[]) => {
    const [command, ...argv] = scriptArgv(script, args, { url, deno: "deno" });
    return [command!, argv] as const;
  };
  const pika = (script: string, ...args: string[]) =>
    [python, [`${here}pika/${script}`, ...args]] as const;
  // Pika takes one broker: the first of a list.
  const pikaUrl = brokerUrls(url)[0]!;
  const floor = (style: string, q: string) => deno("bench/_floor.ts", style, q, `${COUNT}`);
  const cases = [
    {
      name: "producer, 100 confirmed",
      fill: 0,
      deno: (q: string) => deno("producer.ts", "--queue", q),
      floor: (q: string) => floor("produce", q),
      pika: (q: string) => pika("producer.py", q, `${COUNT}`),
      expect: /^ \[x\] Sent '\d+'$/gm,
    },
    ...STYLES.map((style) => ({
      name: `consumer --style ${style}, 100`,
      fill: COUNT,
      deno: (q: string) => deno("consumer.ts", "--style", style, "--queue", q, "--max", `${COUNT}`),
      floor: (q: string) => floor(style === "get" ? "get" : "consume", q),
      pika: (q: string) => pika("consumer.py", style, q, `${COUNT}`),
      expect: /^ \[x\] Received '\d+'$/gm,
    })),
  ];

  const connection = await connect({ url, name: "bench/tutorial.ts" });
  const channel = await connection.channel();
  const rows: TutorialRow[] = [];
  try {
    for (const [index, c] of cases.entries()) {
      options.onCase?.(c.name, index, cases.length);
      const row: TutorialRow = { name: c.name, deno: [], floor: [], pika: [] };
      for (let run = 0; run < runs; run++) {
        // Alternate which goes first, so neither always runs on a warmer machine.
        const order = run % 2 === 0
          ? ["deno", "floor", "pika"] as const
          : ["pika", "floor", "deno"] as const;
        for (const side of order) {
          if (side === "pika" && !hasPika) continue;
          const queue = `bench.tutorial.${crypto.randomUUID().slice(0, 8)}`;
          await declareQueue(channel, queue);
          await publishWithConfirms(
            channel,
            queue,
            Array.from({ length: c.fill }, (_, i) => `${i}`),
          );
          try {
            const [command, args] = c[side](queue);
            row[side].push(
              await timed(side === "pika" ? pikaUrl : url, command, [...args], c.expect),
            );
          } finally {
            for (const name of [queue, `${queue}.dead`]) {
              await channel.queueDelete(name, { ifUnused: false, ifEmpty: false });
            }
          }
        }
      }
      rows.push(row);
    }
  } finally {
    await connection.close();
  }
  return rows;
}

/** Runs one command to completion; returns its wall time in ms after checking its output. */
async function timed(
  url: string,
  command: string,
  args: string[],
  expect: RegExp,
): Promise<number> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    env: { AMQP_URL: url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const lines = new TextDecoder().decode(stdout).match(expect)?.length ?? 0;
  if (code !== 0 || lines !== COUNT) {
    throw new Error(
      `${command} ${args.join(" ")}: exit ${code}, ${lines} of ${COUNT} lines; ` +
        new TextDecoder().decode(stderr).split("\n")[0],
    );
  }
  return ms;
}

/**
 * The tutorial table: each script's whole-process time beside the floor's and Pika's, as
 * multiples of the floor and of Pika.
 */
export function tutorialTable(rows: TutorialRow[]): string[] {
  const times = (xs: number[]) => spread(xs, "ms").padEnd(20);
  const of = (a: number[], b: number[]) =>
    b.length ? `${(median(a) / median(b)).toFixed(2)}×` : "n/a";
  return [
    `${"case".padEnd(30)} ${"Deno".padEnd(20)} ${"floor".padEnd(20)} ${"Pika".padEnd(20)} ` +
    "of floor  of Pika",
    ...rows.map((row) =>
      `${row.name.padEnd(30)} ${times(row.deno)} ${times(row.floor)} ${times(row.pika)} ` +
      `${of(row.deno, row.floor).padEnd(9)} ${of(row.deno, row.pika)}`
    ),
  ];
}

/** The median of `xs`. */
export const median = (xs: number[]): number =>
  xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** `median (min–max)` with a unit. */
export function spread(xs: number[], unit: string, digits = 0): string {
  if (xs.length === 0) return "n/a";
  const f = (x: number) => x.toFixed(digits);
  return `${f(median(xs))} ${unit} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

if (import.meta.main) {
  try {
    const flags = parseFlags(Deno.args, {
      runs: { type: "string", default: "15" },
      python: { type: "string", default: "/usr/bin/python3" },
    });
    const runs = integerFlag("runs", flags.runs);
    const url = resolveUrl();
    console.log(`Whole-process time, ${runs} runs each, median (min–max); broker ${maskUrl(url)}`);
    for (const line of tutorialTable(await tutorialTimes({ url, runs, python: flags.python }))) {
      console.log(line);
    }
  } catch (error) {
    Deno.exitCode = reportFailure(error, console.error);
  }
}
