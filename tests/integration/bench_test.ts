// A smoke test of `deno task bench --quick`: well-formed output and correct counts. No timing
// is asserted; the figures themselves belong in the benchmark, not in a test.

import { deepEqual, match, ok } from "node:assert/strict";
import { BROKER_URL } from "../_helpers.ts";

Deno.test("bench --quick writes a table, JSON and an SVG chart, with every count checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../../bench/bench.ts", import.meta.url).pathname,
        "--quick",
        "--reps",
        "1",
        "--json",
        `${dir}/results.json`,
        "--svg",
        `${dir}/chart.svg`,
      ],
      env: { AMQP_URL: BROKER_URL, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    deepEqual(code, 0, new TextDecoder().decode(stderr));
    match(out, /^publish, no confirms\s+\d+ msg\/s/m);
    match(out, /^round trip \(sequential\)\s+p50 [\d.]+ ms/m);
    match(out, /^Peak memory: \d+ MiB/m);

    // The ceilings and the fractions of them, and the client's CPU per message.
    match(out, /^broker ceiling: publish, transient\s+\d+ msg\/s/m);
    // (Beside the other tests, a ceiling can lose to its client: then the row says so.)
    const ofCeiling = /(\d+\.\d\d|BROKEN CEILING \(\d+\.\d\d\))/.source;
    match(
      out,
      new RegExp(
        `^publish, no confirms\\s+\\d+ msg/s \\(\\d+–\\d+\\)\\s+${ofCeiling}\\s+\\d+\\.\\d\\s`,
        "m",
      ),
    );
    // One queue, two consumers: one active of the two against both competing, as a ratio.
    match(out, /^quorum: single active consumer, 1 of 2\s+\d+ msg\/s/m);
    match(out, /^quorum: 2 competing consumers\s+\d+ msg\/s/m);
    match(
      out,
      /^quorum: single active consumer, 1 of 2: \d+\.\d\d of quorum: 2 competing consumers \(1 of 2 consumers received\)$/m,
    );
    // The round-trip-bound rows, against the round trip.
    match(out, /^consume, basic\.get \(prefetch n\/a\)\s+\d+ msg\/s \(\d+–\d+\)\s+\d+\.\d\d RTT/m);

    const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
    const ids = results.figures.map((figure: { id: string }) => figure.id);
    for (
      const id of [
        "ceiling-transient",
        "ceiling-persistent",
        "publish",
        "confirm-window-persistent",
        "quorum-publish",
        "quorum-consume",
        "stream-publish",
        "stream-read",
        "parallel-publish-4",
        "parallel-consume-4",
        "quorum-competing",
        "quorum-single-active",
        "latency",
      ]
    ) ok(ids.includes(id), id);
    // A ceiling's row pools its own run and the one made before each run of a case against it.
    const against = (id: string) =>
      results.figures.filter((f: { ceiling?: string }) => f.ceiling === id).length;
    deepEqual(against("ceiling-transient"), 2, "publish and windowed confirms");
    for (const figure of results.figures) {
      deepEqual([figure.id, figure.lost, figure.duplicated], [figure.id, 0, 0]);
      const runs = figure.id.startsWith("ceiling-") ? 1 + against(figure.id) : 1;
      deepEqual(figure.rates.length, runs, figure.id);
      if (figure.ceilingRates) deepEqual(figure.ceilingRates.length, 1, figure.id);
      ok(figure.rates[0] > 0, figure.id);
      ok(figure.cpuPerMessage > 0, figure.id);
    }
    const withCeiling = results.figures.filter((figure: { ofCeiling?: number }) =>
      figure.ofCeiling !== undefined
    );
    ok(withCeiling.length >= 8, "rows measured against a ceiling");
    for (const figure of withCeiling) ok(figure.ofCeiling > 0, figure.id);
    const single = results.figures.find((f: { id: string }) => f.id === "quorum-single-active");
    deepEqual(single.receivers, { received: 1, of: 2 }, "one consumer of two took every message");
    ok(single.ofOther.ratio > 0);
    deepEqual(results.tutorial.map((row: { deno: number[] }) => row.deno.length), [3, 3, 3, 3]);

    const svg = await Deno.readTextFile(`${dir}/chart.svg`);
    match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    deepEqual(
      svg.match(/<rect x="330"/g)?.length,
      results.figures.length - 1,
      "a bar per throughput case (all but the round trip)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
