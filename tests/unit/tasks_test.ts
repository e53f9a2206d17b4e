// deno.json's tasks grant each program only what it needs: --allow-run names the programs a
// task runs. Three keep --allow-all, each for a reason: `test` and `test:unit` run the test
// suite, and `bench` reads the broker's CPU time from /proc, which Deno allows only with
// --allow-all.

import { deepEqual, ok } from "node:assert/strict";
import { RABBITMQ_BIN_DIRS } from "../../tools/private_broker.ts";

const tasks: Record<string, string> = JSON.parse(
  await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
).tasks;

Deno.test("every task's --allow-run names its programs; only the tests and bench keep --allow-all", () => {
  const all = Object.entries(tasks).filter(([, command]) =>
    /(^| )(-A|--allow-all)( |$)/.test(command)
  );
  deepEqual(all.map(([name]) => name).toSorted(), ["bench", "test", "test:unit"]);
  for (const [name, command] of Object.entries(tasks)) {
    for (const part of command.split(" && ")) {
      ok(!/ --allow-run( |$)/.test(part), `${name}: a bare --allow-run in "${part}"`);
    }
  }
  // The tasks that may start a private node name rabbitmq-server and rabbitmqctl wherever it
  // is looked for.
  for (const name of ["cluster", "demo"]) {
    const allowed = tasks[name]!.match(/--allow-run=(\S+)/)?.[1]?.split(",") ?? [];
    for (const dir of RABBITMQ_BIN_DIRS) {
      for (const program of ["rabbitmq-server", "rabbitmqctl"]) {
        ok(allowed.includes(`${dir}/${program}`), `${name} may run ${dir}/${program}`);
      }
    }
  }
});
