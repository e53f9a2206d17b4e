// Running the commands a reader is shown, exactly as written: each `sh` block of the Markdown
// files, and each folder's script header commands, as one scenario. Long-running commands (consumers, workers,
// servers, `deno task cluster`) start first, each in a process group of its own as a terminal
// starts a job; the rest run in order; then Ctrl+C goes to each group, and all must exit 0.

import { deepEqual, doesNotMatch, ok } from "node:assert/strict";
import { dirname } from "node:path";
import { ROOT, runCommand, runCommandUntil, signalGroup } from "./_helpers.ts";
import type { Ran } from "./_helpers.ts";

/** Commands that keep running until Ctrl+C. */
const LONG_RUNNING =
  /(consumer|worker|receive_\w+|rpc_server|dead_letter_worker)\.ts(?!.*--(idle|max))|deno task (consume|cluster)\b/;
/** What a long-running command prints once it is ready for work. */
const READY = /Waiting for|Awaiting RPC requests|To exit press CTRL\+C|Ctrl\+C stops/;
/** What a permission problem looks like: a script must never need more than its command grants. */
const PERMISSION_ERROR = /Requires \w+ access|not allowed, run with|NotCapable|PermissionDenied/;

/** A sequence of commands a reader runs together: one Markdown block, or one folder's headers. */
export interface Scenario {
  name: string;
  commands: string[];
}

/**
 * The `sh` blocks of a Markdown file, one scenario each, named after `file` and the block's first
 * command: its command lines, comments removed; a line marked `# in two terminals` twice.
 */
export function readmeScenarios(markdown: string, file = "README.md"): Scenario[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.map((block) => {
    const commands = block.split("\n").flatMap((line) => {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (!command) return [];
      return /# in two terminals/.test(line) ? [command, command] : [command];
    });
    return { name: `${file}: ${commands[0]}`, commands };
  });
}

/**
 * The Markdown files a reader is shown commands in, as paths from the repository's root: every
 * `.md` file outside dot folders, README.md first, translations left out (a zh-TW twin shows the
 * same commands, as tests/unit/docs_test.ts holds).
 */
export async function documentedFiles(folder = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") {
      if (path !== "docs/zh-TW") found.push(...await documentedFiles(path));
    } else if (entry.isFile && entry.name.endsWith(".md") && !entry.name.endsWith(".zh-TW.md")) {
      found.push(path);
    }
  }
  if (folder) return found;
  return found.toSorted((a, b) =>
    Number(b === "README.md") - Number(a === "README.md") || (a < b ? -1 : 1)
  );
}

/**
 * The `sh` blocks of every documented file ({@linkcode documentedFiles}), in that order, each
 * sequence of commands once: a block shown on two pages runs once.
 */
export async function documentedScenarios(): Promise<Scenario[]> {
  const seen = new Set<string>();
  const scenarios: Scenario[] = [];
  for (const file of await documentedFiles()) {
    for (const scenario of readmeScenarios(await Deno.readTextFile(`${ROOT}${file}`), file)) {
      const key = scenario.commands.join("\n");
      if (seen.has(key)) continue;
      seen.add(key);
      scenarios.push(scenario);
    }
  }
  return scenarios;
}

/** The run commands in the headers of the scripts, examples, patterns, tools and benches. */
export async function headerScenarios(): Promise<Scenario[]> {
  const folders = new Map<string, string[]>();
  const files = ["producer.ts", "consumer.ts"];
  for (const folder of ["examples", "tools", "bench", ...await subfolders("patterns")]) {
    for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
      if (entry.name.endsWith(".ts")) files.push(`${folder}/${entry.name}`);
    }
  }
  for (const file of files.toSorted()) {
    const source = await Deno.readTextFile(`${ROOT}${file}`);
    const header = (source.match(/^\/\*\*[\s\S]*?\*\//)?.[0] ?? "").replace(/\\\n \*\s+/g, "");
    const commands = [...header.matchAll(/^ \*\s+(deno (?:run|task) .*)$/gm)].map((m) => m[1]!);
    const folder = dirname(file);
    folders.set(folder, [...folders.get(folder) ?? [], ...commands]);
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

const TASKS: Record<string, string> = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
/** The broker address the documented commands grant, and the tasks that grant only it. */
const DOCUMENTED = "127.0.0.1:5672";

/**
 * A documented command as a reader whose broker is at `address` runs it: the README tells them
 * to widen `--allow-net=127.0.0.1:5672` to their broker, and for `deno task produce` or
 * `consume`, whose permissions are fixed in deno.json, to run the task's command so widened.
 * At the documented address the command is left exactly as written.
 */
export function forBrokerAt(command: string, address: string): string {
  if (address === DOCUMENTED) return command;
  const task = command.match(/^deno task (\S+)(.*)$/);
  const expanded = task && TASKS[task[1]!]?.includes(`--allow-net=${DOCUMENTED}`)
    ? `${TASKS[task[1]!]}${task[2]}`
    : command;
  return expanded.replaceAll(`--allow-net=${DOCUMENTED}`, `--allow-net=${address}`);
}

/**
 * Runs one scenario in the repository with `env` (`AMQP_URL`) against the broker at `address`
 * ({@linkcode forBrokerAt}): an `export NAME=VALUE` line sets a variable for the commands after
 * it; long-running commands start first; the rest run in order, each to exit 0; then Ctrl+C to
 * each long-running one, which must then exit 0 as well. No command may report a missing
 * permission, and each must print something.
 */
export async function runScenario(
  { commands }: Scenario,
  env: Record<string, string>,
  address = DOCUMENTED,
) {
  const shell = (command: string) => ["bash", "-c", `exec ${forBrokerAt(command, address)}`];
  // The environment each command sees: what the `export` lines before it set.
  const envs: Record<string, string>[] = [];
  for (const command of commands) {
    const exported = command.match(/^export (\w+)=(\S+)$/);
    if (exported) env = { ...env, [exported[1]!]: exported[2]! };
    envs.push(env);
  }
  const running: { command: string; child: Deno.ChildProcess; finished: Promise<Ran> }[] = [];
  for (const [i, command] of commands.entries()) {
    if (!LONG_RUNNING.test(command)) continue;
    const ready = (lines: string[]) => READY.test(lines.join("\n"));
    const started = await runCommandUntil(shell(command), ready, { env: envs[i], ownGroup: true });
    running.push({ command, ...started });
  }
  const results: [string, Ran][] = [];
  for (const [i, command] of commands.entries()) {
    if (LONG_RUNNING.test(command) || command.startsWith("export ")) continue;
    const ran = await runCommand(shell(command), { env: envs[i] });
    deepEqual(ran.code, 0, `${command}\n${ran.stdout}${ran.stderr}`);
    results.push([command, ran]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a reader types the next one
  }
  for (const { command, child } of running.toReversed()) {
    signalGroup(child, "SIGINT");
    // Under `deno task` the script gets a second copy of the press a moment later: give it one.
    if (!command.startsWith("deno task")) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      signalGroup(child, "SIGINT");
    }
    const ran = await running.find((r) => r.child === child)!.finished;
    deepEqual(ran.code, 0, `${command} after Ctrl+C\n${ran.stdout}${ran.stderr}`);
    results.push([command, ran]);
  }
  for (const [command, { stdout, stderr }] of results) {
    doesNotMatch(stdout + stderr, PERMISSION_ERROR, command);
    ok(stdout.trim().length > 0, `${command} printed nothing`);
  }
}
