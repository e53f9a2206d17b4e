// `deno task cluster --detach` / `--stop` against another local user's plants: a state file in
// /tmp naming their program, a link in the state file's place, a state file or folder that is
// not ours alone, one that names a folder of the victim's. None of them may make the tool run
// anything but the local rabbitmqctl, write through a link, or delete what it did not make.
// (The real --detach and --stop run in cluster_test.ts, with a cluster.)

import { deepEqual, match, ok } from "node:assert/strict";
import { ROOT, runCommand } from "../_helpers.ts";

const TASK = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.cluster as string;

/** A sandbox: a TMPDIR and a state home, a victim's file and folder, and a planted program. */
async function sandbox() {
  const root = await Deno.makeTempDir({ prefix: "cluster-state-test-" });
  const tmp = `${root}/tmp`;
  const state = `${root}/state`;
  await Deno.mkdir(tmp);
  await Deno.mkdir(`${state}/rabbitmq-deno`, { recursive: true, mode: 0o700 });
  // What another user's program would do if it ran as us: leave this file behind.
  const ran = `${root}/planted-program-ran`;
  const evil = `${root}/evil`;
  await Deno.mkdir(evil);
  for (const name of ["rabbitmqctl", "rabbitmq-server"]) {
    await Deno.writeTextFile(`${evil}/${name}`, `#!/bin/sh\ntouch '${ran}'\n`, { mode: 0o755 });
  }
  const victimFile = `${root}/victim.txt`;
  await Deno.writeTextFile(victimFile, "keep me\n");
  const victimDir = `${root}/rabbitmq-deno-cluster-victim`;
  await Deno.mkdir(`${victimDir}/node1`, { recursive: true });
  await Deno.writeTextFile(`${victimDir}/node1/data`, "keep me too\n");
  return {
    tmp,
    evil,
    victimFile,
    victimDir,
    stateFile: `${state}/rabbitmq-deno/cluster.json`,
    /** Runs the cluster task's command with `args`, its state under this sandbox. */
    cluster: (...args: string[]) =>
      runCommand(["bash", "-c", `exec ${TASK} ${args.join(" ")}`], {
        env: { TMPDIR: tmp, XDG_STATE_HOME: state },
      }),
    /** Nothing planted ran, the victim's file and folder are as they were. */
    async untouched() {
      ok(!(await exists(ran)), "the planted program ran");
      deepEqual(await Deno.readTextFile(victimFile), "keep me\n");
      deepEqual(await Deno.readTextFile(`${victimDir}/node1/data`), "keep me too\n");
    },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
const isRoot = Deno.uid() === 0;

Deno.test("deno task cluster --stop and --detach trust nothing another local user planted", async (t) => {
  await t.step("a state file in /tmp naming a planted rabbitmqctl: not even read", async () => {
    await using box = await sandbox();
    const nodes = [{ node: "x@localhost", dir: box.victimDir, bin: box.evil }];
    await Deno.writeTextFile(
      `${box.tmp}/rabbitmq-deno-cluster.json`,
      JSON.stringify({ dir: box.victimDir, nodes }),
    );
    const { code, stdout } = await box.cluster("--stop");
    deepEqual(code, 0);
    match(stdout, /No cluster running/);
    await box.untouched();
  });

  await t.step("a link in the state file's place: refused by --stop and by --detach", async () => {
    await using box = await sandbox();
    await Deno.symlink(box.victimFile, box.stateFile);
    for (const flag of ["--stop", "--detach"]) {
      const started = performance.now();
      const { code, stderr } = await box.cluster(flag);
      deepEqual(code, 1, flag);
      match(stderr, /^Error: Refusing .*cluster\.json: /, flag);
      // --detach refuses before it starts a node.
      ok(performance.now() - started < 10_000, `${flag} took ${performance.now() - started} ms`);
    }
    await box.untouched();
  });

  for (
    const [label, plant, why] of [
      ["a state file others may write", "file-0666", /others may use it \(mode 666/],
      ["a state folder others may write", "folder-0777", /others may use it \(mode 777/],
      ["a state file of another user's", "owner", /belongs to another user \(uid 65534\)/],
      ["a state file naming a folder the tool did not make", "victim", /is not the folder of/],
      ["a state file that is not the tool's JSON", "garbage", /not the JSON this tool writes/],
    ] as const
  ) {
    await t.step(label, async () => {
      if (plant === "owner" && !isRoot) return; // only root can give a file away
      await using box = await sandbox();
      const state = JSON.stringify({ id: "0123abcd", dir: box.victimDir, epmdPort: 20000 });
      await Deno.writeTextFile(box.stateFile, plant === "garbage" ? "{nope" : state, {
        mode: 0o600,
      });
      if (plant === "file-0666") await Deno.chmod(box.stateFile, 0o666);
      if (plant === "folder-0777") await Deno.chmod(box.stateFile.replace(/\/[^/]+$/, ""), 0o777);
      if (plant === "owner") await Deno.chown(box.stateFile, 65534, 65534);
      const { code, stderr } = await box.cluster("--stop");
      deepEqual(code, 1, stderr);
      match(stderr, why);
      deepEqual(stderr.trim().split("\n").length, 1, stderr);
      await box.untouched();
    });
  }
});

Deno.test("deno task cluster --partition and --heal: bad input and no cluster are one line each", async (t) => {
  for (
    const [args, code, line] of [
      [["--partition", "4"], 2, /^Cannot use --partition "4": expected a node number, 1, 2 or 3/],
      [
        ["--partition", "1"],
        1,
        /^Error: No cluster running \(start one with: deno task cluster\)\n$/,
      ],
      [["--heal"], 1, /^Error: No cluster running \(start one with: deno task cluster\)\n$/],
    ] as const
  ) {
    await t.step(args.join(" "), async () => {
      await using box = await sandbox();
      const ran = await box.cluster(...args);
      deepEqual(ran.code, code, ran.stderr);
      match(ran.stderr, line);
      deepEqual(ran.stderr.trim().split("\n").length, 1, ran.stderr);
    });
  }
});
