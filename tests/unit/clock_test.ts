// lib/transport/clock.ts: timers that fire when due, are silent once cancelled, hold a process
// open only while something waits on them, and never touch node:timers (its first use costs a
// script ~10 ms of start-up in Deno 2.9).

import { deepEqual, ok } from "node:assert/strict";
import { Deadline, later, repeatEvery } from "../../lib/transport/clock.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => later(ms, resolve));

Deno.test("later(): fires once, when due; a cancelled one never fires", async () => {
  const fired: string[] = [];
  const start = performance.now();
  later(30, () => fired.push("due"));
  const cancel = later(10, () => fired.push("cancelled"));
  cancel();
  cancel(); // twice is fine
  await sleep(60);
  deepEqual(fired, ["due"]);
  ok(performance.now() - start >= 30);
});

Deno.test("repeatEvery(): ticks until cancelled, from inside its own callback too", async () => {
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const cancel = repeatEvery(5, () => {
      if (++ticks === 3) cancel(), resolve();
    });
  });
  await sleep(40);
  deepEqual(ticks, 3);
});

Deno.test("Deadline: the last set() wins, earlier or later; clear() and dispose call nothing", async (t) => {
  await t.step("set later than before: fires at the later time, once", async () => {
    using deadline = new Deadline();
    const fired: number[] = [];
    const start = performance.now();
    deadline.set(10, () => fired.push(1));
    deadline.set(50, () => fired.push(performance.now() - start));
    await sleep(30);
    deepEqual(fired, []);
    await sleep(60);
    deepEqual(fired.length, 1);
    ok(fired[0]! >= 49, `fired after ${fired[0]} ms`);
  });
  await t.step("set earlier than before: fires at the earlier time", async () => {
    using deadline = new Deadline();
    const fired: string[] = [];
    deadline.set(10_000, () => fired.push("late"));
    deadline.set(10, () => fired.push("early"));
    await sleep(40);
    deepEqual(fired, ["early"]);
  });
  await t.step("reset many times: one call, after the last", async () => {
    using deadline = new Deadline();
    let calls = 0;
    for (let i = 0; i < 10_000; i++) deadline.set(20, () => calls++);
    await sleep(60);
    deepEqual(calls, 1);
  });
  await t.step("clear() and dispose: nothing is called", async () => {
    const cleared = new Deadline();
    const disposed = new Deadline();
    let calls = 0;
    cleared.set(10, () => calls++);
    disposed.set(10, () => calls++);
    cleared.clear();
    disposed[Symbol.dispose]();
    await sleep(40);
    deepEqual(calls, 0);
    cleared[Symbol.dispose]();
  });
});

Deno.test("a cancelled timer holds no process open, and node:timers is never loaded", async () => {
  const clock = new URL("../../lib/transport/clock.ts", import.meta.url).href;
  const script = `
    import { Deadline, later, repeatEvery } from ${JSON.stringify(clock)};
    later(60_000, () => console.log("later fired"))();
    repeatEvery(60_000, () => console.log("repeat fired"))();
    const deadline = new Deadline();
    deadline.set(60_000, () => console.log("deadline fired"));
    deadline[Symbol.dispose]();
    later(1, () => console.log("done"));
  `;
  const start = performance.now();
  // A preload that would report any use of the global (node:timers) setTimeout or setInterval.
  const preload = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      preload,
      `for (const name of ["setTimeout", "setInterval"]) {
        const original = (globalThis as any)[name];
        (globalThis as any)[name] = (...args: unknown[]) => {
          console.log("used " + name);
          return original(...args);
        };
      }`,
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", "--preload", preload, "--ext=ts", script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    deepEqual(code, 0);
    deepEqual(new TextDecoder().decode(stdout), "done\n");
    ok(performance.now() - start < 20_000, "exited without waiting for the cancelled timers");
  } finally {
    await Deno.remove(preload);
  }
});
