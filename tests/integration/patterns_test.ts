// The messaging patterns, each proven by its semantics against the real broker: who receives
// what, how work is shared, which answer goes to which caller, what is confirmed or rejected,
// and where a poison message ends up.

import { deepEqual, match, ok } from "node:assert/strict";
import {
  depth,
  type Ran,
  run,
  runUntil,
  uniqueQueue,
  withChannel,
  withQueue,
  withQueueName,
} from "../_helpers.ts";

/** A long-running pattern script, started and waiting; `stop()` sends SIGINT and returns its run. */
async function start(script: string, args: string[]) {
  const { child, finished } = await runUntil(
    `patterns/${script}`,
    args,
    (lines) => lines.some((line) => /Waiting for|Awaiting/.test(line)),
  );
  return {
    stop: async (): Promise<Ran> => {
      child.kill("SIGINT");
      return await finished;
    },
  };
}

const pattern = (script: string, args: string[]) => run(`patterns/${script}`, args);
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lines of stdout that match `re`, by the first capture group. */
const captured = (stdout: string, re: RegExp) => [...stdout.matchAll(re)].map((m) => m[1]!);

/** Runs `fn` with a unique exchange name and deletes the exchange afterwards. */
async function withExchange(label: string, fn: (exchange: string) => Promise<void>) {
  const exchange = uniqueQueue(label);
  try {
    await fn(exchange);
  } finally {
    await withChannel((channel) => channel.exchangeDelete(exchange, { ifUnused: false }));
  }
}

Deno.test("work queues: a slow task never holds up the other worker (fair dispatch)", () =>
  withQueue("work", 0, async (queue) => {
    const flags = ["--queue", queue, "--dot", "0.15"];
    const workers = [
      await start("work_queues/worker.ts", flags),
      await start("work_queues/worker.ts", flags),
    ];
    const sent = await pattern("work_queues/new_task.ts", ["--queue", queue, "slow.........."]);
    deepEqual(sent.stdout.trimEnd(), " [x] Sent 'slow..........'");
    for (const task of ["f1", "f2", "f3", "f4"]) {
      deepEqual((await pattern("work_queues/new_task.ts", ["--queue", queue, task])).code, 0);
    }
    await settle(1800); // the slow task takes 1.5 s
    const runs = await Promise.all(workers.map((worker) => worker.stop()));
    const got = runs.map((r) => captured(r.stdout, /^ \[x\] Received '([^']*)'$/gm));
    const slow = got.findIndex((tasks) => tasks.includes("slow.........."));
    ok(slow !== -1, JSON.stringify(got));
    // The busy worker took nothing else; the free one did every fast task.
    deepEqual(got[slow], ["slow.........."]);
    deepEqual(got[1 - slow], ["f1", "f2", "f3", "f4"]);
    runs.forEach((r) => deepEqual([r.code, r.stderr], [0, ""]));
    deepEqual(await depth(queue), 0);
  }));

Deno.test("publish/subscribe: every receiver gets every message", () =>
  withExchange("logs", async (exchange) => {
    const receivers = [
      await start("publish_subscribe/receive_logs.ts", ["--exchange", exchange]),
      await start("publish_subscribe/receive_logs.ts", ["--exchange", exchange]),
    ];
    for (const message of ["info: one", "warning: two", "error: three"]) {
      const { code, stdout } = await pattern("publish_subscribe/emit_log.ts", [
        "--exchange",
        exchange,
        message,
      ]);
      deepEqual([code, stdout.trimEnd()], [0, ` [x] Sent '${message}'`]);
    }
    await settle();
    for (const { code, stdout } of await Promise.all(receivers.map((r) => r.stop()))) {
      deepEqual(code, 0);
      deepEqual(captured(stdout, /^ \[x\] '([^']*)'$/gm), [
        "info: one",
        "warning: two",
        "error: three",
      ]);
    }
  }));

Deno.test("routing: a direct exchange delivers exactly the matching severities", () =>
  withExchange("direct", async (exchange) => {
    const bindings: Record<string, string[]> = {
      "error only": ["error"],
      "info and warning": ["info", "warning"],
      "error and info": ["error", "info"],
    };
    const receivers = await Promise.all(
      Object.values(bindings).map((keys) =>
        start("routing/receive_logs_direct.ts", ["--exchange", exchange, ...keys])
      ),
    );
    for (const severity of ["info", "warning", "error", "debug"]) {
      const sent = await pattern("routing/emit_log_direct.ts", [
        "--exchange",
        exchange,
        severity,
        `a ${severity}`,
      ]);
      deepEqual(sent.stdout.trimEnd(), ` [x] Sent '${severity}':'a ${severity}'`);
    }
    await settle();
    const got = (await Promise.all(receivers.map((r) => r.stop())))
      .map((r) => captured(r.stdout, /^ \[x\] (\w+):'/gm));
    deepEqual(got, [["error"], ["info", "warning"], ["info", "error"]]);
  }));

Deno.test("routing: no severity is a usage error", async (t) => {
  for (const script of ["routing/emit_log_direct.ts", "routing/receive_logs_direct.ts"]) {
    await t.step(script, async () => {
      const { code, stdout, stderr } = await pattern(script, []);
      deepEqual([code, stdout], [2, ""]);
      match(stderr, /^Missing SEVERITY.*\(see --help\)\n$/);
    });
  }
});

Deno.test("topics: * matches one word, # zero or more, for a table of patterns and keys", () =>
  withExchange("topic", async (exchange) => {
    const keys = [
      "kern.info",
      "kern.critical",
      "app.critical",
      "kern",
      "kern.disk.full",
      "a.b.c",
      "a.b.b.c",
    ];
    const expected: Record<string, string[]> = {
      "kern.*": ["kern.info", "kern.critical"],
      "*.critical": ["kern.critical", "app.critical"],
      "#": keys,
      "kern.#": ["kern.info", "kern.critical", "kern", "kern.disk.full"],
      "a.*.c": ["a.b.c"],
    };
    const receivers = await Promise.all(
      Object.keys(expected).map((p) =>
        start("topics/receive_logs_topic.ts", ["--exchange", exchange, p])
      ),
    );
    for (const key of keys) {
      deepEqual(
        (await pattern("topics/emit_log_topic.ts", ["--exchange", exchange, key, "m"])).code,
        0,
      );
    }
    await settle();
    const got = (await Promise.all(receivers.map((r) => r.stop())))
      .map((r) => captured(r.stdout, /^ \[x\] ([\w.]+):'/gm));
    deepEqual(got, Object.values(expected));
  }));

Deno.test("RPC: concurrent calls each get their own answer; no server means a timeout", async (t) => {
  const queue = uniqueQueue("rpc");
  const fib: Record<number, string> = {
    0: "0",
    1: "1",
    10: "55",
    30: "832040",
    90: "2880067194370816120",
  };
  try {
    const server = await start("rpc/rpc_server.ts", ["--queue", queue]);
    try {
      await t.step("two clients, several calls each, all in flight at once", async () => {
        const [a, b] = await Promise.all([
          pattern("rpc/rpc_client.ts", ["--queue", queue, "30", "1", "90"]),
          pattern("rpc/rpc_client.ts", ["--queue", queue, "10", "0"]),
        ]);
        for (const [result, asked] of [[a, [30, 1, 90]], [b, [10, 0]]] as const) {
          deepEqual([result.code, result.stderr], [0, ""]);
          const answers = Object.fromEntries(
            [...result.stdout.matchAll(/^ \[\.\] Got fib\((\d+)\) = (\d+)$/gm)].map((
              m,
            ) => [m[1], m[2]]),
          );
          deepEqual(answers, Object.fromEntries(asked.map((n) => [String(n), fib[n]])));
        }
      });
    } finally {
      const { code, stdout } = await server.stop();
      deepEqual(code, 0);
      deepEqual(captured(stdout, /^ \[\.\] fib\((\d+)\)$/gm).toSorted(), [
        "0",
        "1",
        "10",
        "30",
        "90",
      ]);
    }
    await t.step("no server: one line after --timeout, exit 1", async () => {
      const result = await pattern("rpc/rpc_client.ts", [
        "--queue",
        queue,
        "--timeout",
        "0.5",
        "7",
      ]);
      deepEqual(result.code, 1);
      deepEqual(
        result.stderr,
        `No answer to fib(7) from "${queue}" within 0.5 s: is rpc_server.ts running?\n`,
      );
    });
    await t.step("a bad N is a usage error", async () => {
      const result = await pattern("rpc/rpc_client.ts", ["--queue", queue, "seven"]);
      deepEqual(result.code, 2);
      match(result.stderr, /Cannot parse --N "seven"/);
    });
  } finally {
    await withChannel((channel) => channel.queueDelete(queue, { ifUnused: false, ifEmpty: false }));
  }
});

Deno.test("publisher confirms: all positive normally; on a full queue each rejection is reported", async (t) => {
  const strategies = ["one at a time", "in batches of 100", "streaming, confirms handled async"];
  await t.step("a normal queue", async () => {
    const { code, stdout, stderr } = await pattern("publisher_confirms/publisher_confirms.ts", [
      "--count",
      "500",
    ]);
    deepEqual([code, stderr], [0, ""]);
    deepEqual(
      captured(stdout, /^ \[x\] (.+): 500 messages in \d+ ms \(500 confirmed, 0 rejected\)$/gm),
      strategies,
    );
  });
  await t.step("--max-length 100 with reject-publish: 200 of 300 refused, each named", async () => {
    const { code, stdout, stderr } = await pattern("publisher_confirms/publisher_confirms.ts", [
      "--count",
      "300",
      "--max-length",
      "100",
    ]);
    deepEqual(code, 0);
    deepEqual(
      captured(stdout, /^ \[x\] (.+): 300 messages in \d+ ms \(100 confirmed, 200 rejected\)$/gm),
      strategies,
    );
    const rejected = captured(
      stderr,
      /^ \[!\] Message (\d+) was rejected by the broker \(nack\)$/gm,
    );
    const expected = Array.from({ length: 200 }, (_, i) => String(i + 100));
    deepEqual(rejected.length, 600);
    for (let s = 0; s < 3; s++) {
      deepEqual(rejected.slice(s * 200, s * 200 + 200).toSorted(), expected.toSorted());
    }
  });
});

Deno.test("dead-lettering: a poison job is parked exactly once, inspectable, and the rest flow", () =>
  withQueueName("jobs", async (queue) => {
    // The worker first: it makes the queue with the dead-letter settings new_task.ts then uses.
    const worker = await start("dead_lettering/dead_letter_worker.ts", ["--queue", queue]);
    for (const job of ["7", "abc", "3"]) {
      const sent = await pattern("work_queues/new_task.ts", ["--queue", queue, job]);
      deepEqual(sent.code, 0);
      match(
        sent.stderr,
        /settings of its own \(x-dead-letter-exchange, x-dead-letter-routing-key\)/,
      );
    }
    await settle(500);
    const { code, stdout } = await worker.stop();
    deepEqual(code, 0);
    deepEqual(captured(stdout, /^ \[x\] (.+)$/gm), ["7 squared is 49", "3 squared is 9"]);
    deepEqual(captured(stdout, /^ \[!\] (.+)$/gm), [
      `Cannot process 'abc': rejected to '${queue}.dead'`,
    ]);
    deepEqual([await depth(queue), await depth(`${queue}.dead`)], [0, 1]);

    const look = await pattern("dead_lettering/inspect_dead_letters.ts", ["--queue", queue]);
    deepEqual(look.code, 0);
    match(
      look.stdout,
      new RegExp(
        `^ \\[x\\] 'abc': rejected in '${queue.replaceAll(".", "\\.")}' 1 time\\(s\\)`,
        "m",
      ),
    );
    match(look.stdout, /1 parked in .*, left in place/);
    deepEqual(await depth(`${queue}.dead`), 1, "looking changes nothing");

    const clear = await pattern("dead_lettering/inspect_dead_letters.ts", [
      "--queue",
      queue,
      "--ack",
    ]);
    match(clear.stdout, /1 parked in .*, now removed/);
    deepEqual(await depth(`${queue}.dead`), 0);
  }));

Deno.test("patterns: --help on stdout, exit 0, for every script", async (t) => {
  for await (const folder of Deno.readDir(new URL("../../patterns", import.meta.url))) {
    if (!folder.isDirectory) continue; // patterns/_logs.ts, shared by three of them
    for await (
      const file of Deno.readDir(new URL(`../../patterns/${folder.name}`, import.meta.url))
    ) {
      if (!file.name.endsWith(".ts")) continue; // its README
      await t.step(`${folder.name}/${file.name}`, async () => {
        const { code, stdout, stderr } = await pattern(`${folder.name}/${file.name}`, ["--help"]);
        deepEqual([code, stderr], [0, ""]);
        match(stdout, new RegExp(`^Usage: ${file.name.replace(".", "\\.")}`));
      });
    }
  }
});

Deno.test("routing and topics: a routing key and a body full of escapes print as visible escapes", async (t) => {
  const key = "err\x1b[2Jor";
  const body = "line\n [x] forged\x1b]0;title\x07";
  for (
    const [script, emit, kind] of [
      ["routing/receive_logs_direct.ts", "routing/emit_log_direct.ts", "direct"],
      ["topics/receive_logs_topic.ts", "topics/emit_log_topic.ts", "topic"],
    ] as const
  ) {
    await t.step(kind, () =>
      withExchange(kind, async (exchange) => {
        const receiver = await start(script, ["--exchange", exchange, key]);
        deepEqual((await pattern(emit, ["--exchange", exchange, key, body])).code, 0);
        await settle();
        const { code, stdout } = await receiver.stop();
        deepEqual(code, 0);
        const lines = stdout.split("\n").filter((line) => line.startsWith(" [x]"));
        deepEqual(lines, [" [x] err\\x1b[2Jor:'line\\n [x] forged\\x1b]0;title\\x07'"]);
      }));
  }
});

Deno.test("inspect_dead_letters.ts: header values full of escapes print as visible escapes", () =>
  withQueueName("inspect-hostile", async (queue) => {
    await withChannel(async (channel) => {
      await channel.queueDeclare(`${queue}.dead`, { durable: true });
      await channel.basicPublish("", `${queue}.dead`, "body\x1b[31m", {
        headers: { "x-parked-from": "q\x1b]0;t\x07", "x-parked-reason": "bad\n [x] forged" },
      });
    });
    await settle();
    const { code, stdout } = await pattern("dead_lettering/inspect_dead_letters.ts", [
      "--queue",
      queue,
    ]);
    deepEqual(code, 0);
    const lines = stdout.split("\n").filter((line) => line.startsWith(" [x]"));
    deepEqual(lines, [
      " [x] 'body\\x1b[31m': parked from 'q\\x1b]0;t\\x07': bad\\n [x] forged",
    ]);
    deepEqual(await depth(`${queue}.dead`), 1); // looking changes nothing
  }));

/** Every control character the escaping must catch: C0, DEL, C1 (CSI), a bidi override. */
const HOSTILE = "\x1b]0;pwned\x07\x7f\x9b2J\u202e";
const HOSTILE_SHOWN = "\\x1b]0;pwned\\x07\\x7f\\x9b2J\\u202e";
/** Neither stream holds a raw control character: each printed line stays one visible line. */
const noControls = (r: Ran) =>
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  deepEqual(`${r.stdout}${r.stderr}`.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/g), null);

Deno.test("rpc_client.ts: a server's reply text full of escapes prints as visible escapes, one line", async (t) => {
  const queue = uniqueQueue("rpc-hostile");
  try {
    await withChannel(async (channel) => {
      // A hostile server: answers each request with the reply its body names.
      await channel.queueDeclare(queue, { durable: false, autoDelete: true });
      const replies: Record<string, string> = {
        "1": `1\n [.] Got fib(2) = 1${HOSTILE}`,
        "2": `error: no${HOSTILE}\n at x.ts:1`,
      };
      await channel.basicConsume(queue, { noAck: true }, async (request) => {
        const { replyTo, correlationId } = request.properties;
        await channel.basicPublish("", replyTo!, replies[request.bodyString()!]!, {
          correlationId,
        });
      });
      await t.step("an answer: on stdout, on its one line", async () => {
        const result = await pattern("rpc/rpc_client.ts", ["--queue", queue, "1"]);
        deepEqual([result.code, result.stderr], [0, ""]);
        deepEqual(result.stdout.split("\n").filter((line) => line.startsWith(" [.]")), [
          ` [.] Got fib(1) = 1\\n [.] Got fib(2) = 1${HOSTILE_SHOWN}`,
        ]);
        noControls(result);
      });
      await t.step("a refusal: one line on stderr, exit 1", async () => {
        const result = await pattern("rpc/rpc_client.ts", ["--queue", queue, "2"]);
        deepEqual(result.code, 1);
        deepEqual(
          result.stderr,
          `The server refused fib(2): error: no${HOSTILE_SHOWN}\\n at x.ts:1\n`,
        );
        noControls(result);
      });
    });
  } finally {
    await withChannel((channel) => channel.queueDelete(queue, { ifUnused: false, ifEmpty: false }));
  }
});

Deno.test("new_task.ts: a broker's close reply text naming a hostile queue prints as visible escapes", () =>
  withChannel(async (channel) => {
    // The queue is this connection's own (exclusive), so the broker refuses new_task.ts with a
    // 405 whose reply text quotes the name, escapes and all; it goes when this connection closes.
    const queue = `${uniqueQueue("hostile")}${HOSTILE}`;
    await channel.queueDeclare(queue, { exclusive: true, durable: false });
    const result = await pattern("work_queues/new_task.ts", ["--queue", queue, "a task"]);
    deepEqual([result.code, result.stdout], [1, ""]);
    deepEqual(result.stderr.split("\n").length, 2, result.stderr); // one line, then the end
    match(result.stderr, /RESOURCE_LOCKED/);
    ok(
      result.stderr.includes(`${queue.slice(0, -HOSTILE.length)}${HOSTILE_SHOWN}'`),
      result.stderr,
    );
    noControls(result);
  }));
