// What a private node opens to the network: every listening socket of its Erlang VM, of the
// epmd it starts and of rabbitmqctl's own Erlang node must be on loopback (127.0.0.1 or ::1).
// A node's distribution port takes commands from anyone who has its cookie.

import { deepEqual, ok } from "node:assert/strict";
import { ctlEnv, freePort, startPrivateBroker } from "../../tools/private_broker.ts";
import { listeners } from "../_helpers.ts";

/** `pid` and every process below it. */
function family(pid: number): Set<number> {
  const parents = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      parents.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const members = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parents) {
      if (members.has(parent) && !members.has(child)) grew = members.add(child) !== undefined;
    }
  }
  return members;
}

const loopback = (address: string) => /^(127\.0\.0\.1|\[::1\]):\d+$/.test(address);

Deno.test("a private node listens on loopback only: AMQP, distribution, epmd, rabbitmqctl", async () => {
  const epmdPort = freePort(); // an epmd of its own, so that it is this node that starts it
  await using broker = await startPrivateBroker({ epmdPort });
  const vm = (await listeners()).filter((l) => l.pid === broker.pid()).map((l) => l.address);
  ok(vm.length >= 2, `AMQP and distribution at least: ${vm}`);
  deepEqual(vm.filter((address) => !loopback(address)), [], "the node's VM");

  const epmd = (await listeners()).filter((l) => l.address.endsWith(`:${epmdPort}`));
  ok(epmd.length >= 1, "the node's epmd listens");
  deepEqual(epmd.map((l) => l.address).filter((a) => !loopback(a)), [], "epmd");

  // rabbitmqctl is an Erlang node too, with a listener of its own while it runs.
  const ctl = new Deno.Command(`${broker.bin}/rabbitmqctl`, {
    args: ["-n", broker.node, "eval", "timer:sleep(4000)."],
    env: ctlEnv(broker.dir, epmdPort),
    stdout: "null",
    stderr: "null",
  }).spawn();
  let seen: string[] = [];
  for (let tries = 0; tries < 30 && seen.length === 0; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const mine = family(ctl.pid);
    seen = (await listeners()).filter((l) => mine.has(l.pid)).map((l) => l.address);
  }
  await ctl.status;
  ok(seen.length >= 1, "rabbitmqctl's own listener was seen");
  deepEqual(seen.filter((address) => !loopback(address)), [], "rabbitmqctl");
});
