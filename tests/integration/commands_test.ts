// Every command the documentation (each Markdown file's `sh` blocks) and the scripts' headers
// print, run exactly as written (through a shell, with the permissions shown), against the
// broker at the address they grant, in a virtual host of its own, so that `hello`, `task_queue`
// and the rest of a real broker are left alone (tests/_commands.ts runs them). The translations
// show the same commands (tests/unit/docs_test.ts), so only the English pages run. The cluster block
// of docs/cluster.md runs in cluster_test.ts, serially, as it starts three nodes.

import { deepEqual, ok } from "node:assert/strict";
import {
  documentedScenarios,
  headerScenarios,
  readmeScenarios,
  runScenario,
} from "../_commands.ts";
import { BROKER_ADDRESS, ROOT, withVhost } from "../_helpers.ts";
import { startPrivateBroker } from "../../tools/private_broker.ts";

/** Commands shown but not run here, and why. */
const NOT_RUN: Record<string, string> = {
  "deno task test:unit": "deno task test runs the unit tests as well",
  "deno task test": "it is the command running these tests",
  "deno task check": "deno task test runs it first",
  "deno task bench:tutorial":
    "minutes, and Pika; tests/integration/bench_test.ts runs the bench with --quick",
  "deno task bench": "a minute of full load; tests/integration/bench_test.ts runs it with --quick",
  "deno task cluster":
    "three nodes: tests/integration/cluster_test.ts runs the block of docs/cluster.md",
  "deno task top":
    "the test broker has no management plugin: tests/integration/top_test.ts runs it on a private node that has",
  "deno run -A tools/with_broker.ts":
    "tests/integration/commands_test.ts is run by it (deno task test)",
};
const notRun = (command: string) => Object.keys(NOT_RUN).some((c) => command.startsWith(c));

const readme = await Deno.readTextFile(`${ROOT}README.md`);
const documented = await documentedScenarios();

Deno.test("every command in the Markdown files runs as written and, if it keeps running, stops on Ctrl+C", async (t) => {
  await withVhost(async (url) => {
    for (const scenario of documented) {
      if (scenario.commands.some((c) => c.startsWith("deno task cluster"))) continue;
      const commands = scenario.commands.filter((c) => /^(deno|export) /.test(c) && !notRun(c));
      if (commands.length === 0) continue;
      await t.step(
        scenario.name,
        () => runScenario({ ...scenario, commands }, { AMQP_URL: url }, BROKER_ADDRESS),
      );
    }
  });
});

Deno.test("every script's header command runs as written and, if it keeps running, stops on Ctrl+C", async (t) => {
  await withVhost(async (url) => {
    for (const scenario of await headerScenarios()) {
      const commands = scenario.commands.filter((c) => !notRun(c));
      if (commands.length === 0) continue;
      await t.step(
        scenario.name,
        () => runScenario({ ...scenario, commands }, { AMQP_URL: url }, BROKER_ADDRESS),
      );
    }
  });
});

Deno.test("every script, example and pattern shows its run command; the few not run say why", async () => {
  const headers = (await headerScenarios()).flatMap((s) => s.commands);
  for (const file of ["producer.ts", "consumer.ts"]) {
    ok(headers.some((c) => c.includes(file)), file);
  }
  for (const folder of ["examples", "patterns/streams", "patterns/rpc", "tools"]) {
    for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
      if (!entry.name.endsWith(".ts") || entry.name.startsWith("_")) continue;
      if (folder === "tools" && entry.name === "private_broker.ts") continue; // a module only
      ok(headers.some((c) => c.includes(`${entry.name}`) || /deno task/.test(c)), entry.name);
    }
  }
  const shown = documented.flatMap((s) => s.commands);
  // Only shell lines that start Deno or set a variable appear in the documentation's sh blocks.
  deepEqual(shown.filter((c) => !/^(deno|export) /.test(c)), []);
  for (const command of Object.keys(NOT_RUN)) {
    ok([...shown, ...headers].some((c) => c.startsWith(command)), `${command} is shown somewhere`);
  }
});

Deno.test("the README's commands run against a broker elsewhere too, --allow-net widened as it says", async (t) => {
  // A broker that is not at 127.0.0.1:5672, as AMQP_URL may name one: the commands grant that
  // address only, so they are run as the README tells such a reader to (forBrokerAt).
  await using broker = await startPrivateBroker();
  const address = `127.0.0.1:${broker.port}`;
  const scenarios = readmeScenarios(readme).filter((s) =>
    s.commands.some((c) => /deno task consume|examples\/connect/.test(c))
  );
  ok(scenarios.length >= 2, "the quick start and the snippets");
  for (const scenario of scenarios) {
    const commands = scenario.commands.filter((c) => /^deno /.test(c) && !notRun(c));
    await t.step(
      scenario.name,
      () => runScenario({ ...scenario, commands }, { AMQP_URL: broker.url }, address),
    );
  }
});
