/**
 * # The tutorial run, timed: producer.ts and consumer.ts against their Pika twins
 *
 * Whole-process wall time (start, connect, 100 messages, close, exit) of producer.ts, and of
 * consumer.ts taking 100 messages in each style, next to bench/pika/*.py on the same broker.
 * Each case runs `--runs` times (default 15) on a fresh queue; the median, min and max are
 * shown, and the counts are checked: a run that did not print 100 lines fails the benchmark.
 *
 *     deno run --allow-net=127.0.0.1:5672 --allow-env=AMQP_URL --allow-run --allow-read \
 *       bench/tutorial.ts [--runs 15] [--python /usr/bin/python3]
 *
 * Needs Pika for the comparison (Debian: `apt-get install python3-pika`); without it only the
 * Deno side is measured.
 *
 * @module
 */

import { connect, declareQueue, failure, integerFlag, parseFlags } from "../lib/mod.ts";
import { basicPublishConfirmed, resolveUrl } from "../lib/mod.ts";

const COUNT = 100;
const STYLES = ["callback", "get", "iterator"] as const;

const flags = parseFlags(Deno.args, {
  runs: { type: "string", default: "15" },
  python: { type: "string", default: "/usr/bin/python3" },
});
const runs = integerFlag("runs", flags.runs);
const url = resolveUrl();
const here = new URL(".", import.meta.url).pathname;
const hasPika = (await new Deno.Command(flags.python, { args: ["-c", "import pika"] })
  .output().catch(() => ({ success: false }))).success;

const connection = await connect({ url, name: "bench/tutorial.ts" });
const channel = await connection.channel();

/** Fresh durable queue, optionally holding `count` messages "0".."count-1". */
async function freshQueue(count: number): Promise<string> {
  const queue = `bench.tutorial.${crypto.randomUUID().slice(0, 8)}`;
  await declareQueue(channel, queue);
  await basicPublishConfirmed(channel, queue, Array.from({ length: count }, (_, i) => `${i}`));
  return queue;
}

/** Runs one command to completion; returns its wall time in ms after checking its output. */
async function timed(command: string, args: string[], expect: RegExp): Promise<number> {
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

const deno = (script: string, ...args: string[]) =>
  [
    Deno.execPath(),
    ["run", "--allow-net=127.0.0.1:5672", "--allow-env=AMQP_URL", `${here}../${script}`, ...args],
  ] as const;
const pika = (script: string, ...args: string[]) =>
  [
    flags.python,
    [`${here}pika/${script}`, ...args],
  ] as const;
const SENT = /^ \[x\] Sent '\d+'$/gm;
const RECEIVED = /^ \[x\] Received '\d+'$/gm;

interface Case {
  name: string;
  fill: number;
  deno: (queue: string) => readonly [string, readonly string[]];
  pika: (queue: string) => readonly [string, readonly string[]];
  expect: RegExp;
}
const cases: Case[] = [
  {
    name: "producer, 100 confirmed",
    fill: 0,
    deno: (q) => deno("producer.ts", "--queue", q),
    pika: (q) => pika("producer.py", q, `${COUNT}`),
    expect: SENT,
  },
  ...STYLES.map((style): Case => ({
    name: `consumer --style ${style}, 100`,
    fill: COUNT,
    deno: (q) => deno("consumer.ts", "--style", style, "--queue", q, "--max", `${COUNT}`),
    pika: (q) => pika("consumer.py", style, q, `${COUNT}`),
    expect: RECEIVED,
  })),
];

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const show = (xs: number[]) =>
  `${median(xs).toFixed(0).padStart(5)} ms (${Math.min(...xs).toFixed(0)}–${
    Math.max(...xs).toFixed(0)
  })`;

try {
  console.log(
    `Whole-process time, ${runs} runs each, median (min–max); broker ${
      url.replace(/:[^:@/]*@/, ":****@")
    }`,
  );
  console.log(`${"case".padEnd(30)} ${"Deno".padEnd(22)} ${"Pika".padEnd(22)} Deno/Pika`);
  for (const c of cases) {
    const times = { deno: [] as number[], pika: [] as number[] };
    for (let run = 0; run < runs; run++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = run % 2 === 0 ? (["deno", "pika"] as const) : (["pika", "deno"] as const);
      for (const side of order) {
        if (side === "pika" && !hasPika) continue;
        const queue = await freshQueue(c.fill);
        try {
          const [command, args] = c[side](queue);
          times[side].push(await timed(command, [...args], c.expect));
        } finally {
          for (const name of [queue, `${queue}.dead`]) {
            await channel.queueDelete(name, { ifUnused: false, ifEmpty: false });
          }
        }
      }
    }
    const ratio = hasPika ? (median(times.deno) / median(times.pika)).toFixed(2) + "×" : "n/a";
    console.log(
      `${c.name.padEnd(30)} ${show(times.deno).padEnd(22)} ${
        hasPika ? show(times.pika).padEnd(22) : "(no pika)".padEnd(22)
      } ${ratio}`,
    );
  }
} catch (error) {
  console.error(failure(error).line);
  Deno.exitCode = 1;
} finally {
  await connection.close();
}
