// Every command the README and the scripts' headers print, run exactly as written (through a
// shell, with the permissions shown), against the broker at the address they grant. Commands
// that keep running (consumers, workers, servers) are started first in a process group of
// their own, as a terminal starts a job, and stopped with Ctrl+C (SIGINT to the group, and for a
// `deno run` a second copy a moment later, as `deno task` would forward it): each must then
// exit 0. Everything runs
// in a virtual host of its own, so `hello`, `task_queue` and the rest of a real broker are left
// alone.

import { deepEqual, doesNotMatch, ok } from "node:assert/strict";
import { dirname } from "node:path";
import { README_BROKER, ROOT, runCommand, runCommandUntil, signalGroup } from "./_helpers.ts";
import { withVhost } from "./_helpers.ts";
import type { Ran } from "./_helpers.ts";

/** Commands that keep running until Ctrl+C. */
const LONG_RUNNING =
  /(consumer|worker|receive_\w+|rpc_server|dead_letter_worker)\.ts|deno task (consume|cluster)\b/;
/** What a long-running command prints once it is ready for work. */
const READY = /Waiting for|Awaiting RPC requests|To exit press CTRL\+C/;
/** Commands shown but not run here, and why. */
const NOT_RUN: Record<string, string> = {
  "deno task test": "it is the command running these tests",
  "deno task bench": "a minute of full load; tests/bench_test.ts runs it with --quick",
};
/** What a permission problem looks like: a script must never need more than its command grants. */
const PERMISSION_ERROR = /Requires \w+ access|not allowed, run with|NotCapable|PermissionDenied/;

/** A sequence of commands a reader runs together: one README block, or one folder's headers. */
interface Scenario {
  name: string;
  commands: string[];
}

function readmeScenarios(markdown: string): Scenario[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.map((block) => {
    const commands = block.split("\n").flatMap((line) => {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (!command) return [];
      return /# in two terminals/.test(line) ? [command, command] : [command];
    });
    return { name: `README: ${commands[0]}`, commands };
  });
}

async function headerScenarios(): Promise<Scenario[]> {
  const folders = new Map<string, string[]>();
  const files = ["producer.ts", "consumer.ts"];
  for (const folder of ["examples", ...await subfolders("patterns")]) {
    for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
      if (entry.name.endsWith(".ts")) files.push(`${folder}/${entry.name}`);
    }
  }
  for (const file of files.toSorted()) {
    const source = await Deno.readTextFile(`${ROOT}${file}`);
    const header = source.match(/^\/\*\*[\s\S]*?\*\//)?.[0] ?? "";
    const commands = [...header.matchAll(/^ \*\s+(deno (?:run|task) .*)$/gm)].map((m) => m[1]!);
    ok(commands.length > 0, `${file} shows no run command in its header`);
    for (const command of commands) {
      ok(command.includes(file), `${file}'s header runs ${command}`);
      const folder = dirname(file);
      folders.set(folder, [...folders.get(folder) ?? [], command]);
    }
  }
  return [...folders].map(([folder, commands]) => ({ name: `headers of ${folder}/`, commands }));
}

async function subfolders(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
    if (entry.isDirectory) names.push(`${folder}/${entry.name}`);
  }
  return names;
}

/** Runs one scenario: long-running commands first, then the rest in order, then Ctrl+C. */
async function runScenario({ commands }: Scenario, url: string): Promise<void> {
  const env = { AMQP_URL: url };
  const shell = (command: string) => ["bash", "-c", `exec ${command}`];
  const running: { command: string; child: Deno.ChildProcess; finished: Promise<Ran> }[] = [];
  for (const command of commands.filter((c) => LONG_RUNNING.test(c))) {
    const started = await runCommandUntil(shell(command), (lines) => READY.test(lines.join("\n")), {
      env,
      ownGroup: true,
    });
    running.push({ command, ...started });
  }
  const results: [string, Ran][] = [];
  for (const command of commands.filter((c) => !LONG_RUNNING.test(c))) {
    const ran = await runCommand(shell(command), { env });
    deepEqual(ran.code, 0, `${command}\n${ran.stdout}${ran.stderr}`);
    results.push([command, ran]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a reader types the next one
  }
  for (const { command, child } of running) {
    signalGroup(child, "SIGINT");
    // Under `deno task` the script gets a second copy of the press a moment later: give it one.
    if (!command.startsWith("deno task")) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      signalGroup(child, "SIGINT");
    }
  }
  for (const { command, finished } of running) {
    const ran = await finished;
    deepEqual(ran.code, 0, `${command} after Ctrl+C\n${ran.stdout}${ran.stderr}`);
    results.push([command, ran]);
  }
  for (const [command, { stdout, stderr }] of results) {
    doesNotMatch(stdout + stderr, PERMISSION_ERROR, command);
    ok(stdout.trim().length > 0, `${command} printed nothing`);
  }
}

const readme = await Deno.readTextFile(`${ROOT}README.md`);

Deno.test("every command in README.md runs as written and, if it keeps running, stops on Ctrl+C", async (t) => {
  README_BROKER.check();
  await withVhost(async (url) => {
    for (const scenario of readmeScenarios(readme)) {
      const commands = scenario.commands.filter((c) => c.startsWith("deno ") && !(c in NOT_RUN));
      if (commands.length === 0) continue;
      await t.step(scenario.name, () => runScenario({ ...scenario, commands }, url));
    }
  });
});

Deno.test("every script's header command runs as written and, if it keeps running, stops on Ctrl+C", async (t) => {
  README_BROKER.check();
  await withVhost(async (url) => {
    for (const scenario of await headerScenarios()) {
      await t.step(scenario.name, () => runScenario(scenario, url));
    }
  });
});

Deno.test("the README's commands not run here are few, each with its reason", () => {
  const shown = readmeScenarios(readme).flatMap((s) => s.commands);
  for (const command of Object.keys(NOT_RUN)) ok(shown.includes(command), command);
  // Only Deno commands are shown in the README's command blocks; others are explained in text.
  deepEqual(shown.filter((c) => !c.startsWith("deno ")), []);
});
