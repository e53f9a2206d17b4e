import { deepEqual, doesNotMatch, match, ok } from "node:assert/strict";
import { declareQueue } from "../../lib/mod.ts";
import { BROKER_URL, deleteQueue, run, silentPeer, uniqueQueue, withChannel } from "../_helpers.ts";

const SCRIPTS = ["producer.ts", "consumer.ts"];

/** One line on stderr, no stack trace, no password, and the expected exit code. */
function assertOneLineError(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
  password?: string,
) {
  deepEqual(result.code, code, result.stderr);
  deepEqual(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  match(result.stderr, pattern);
  doesNotMatch(result.stderr, /^\s+at /m);
  if (password) ok(!(result.stdout + result.stderr).includes(password), "password printed");
}

/** A local port that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function withCredentials(user: string, password: string, path = ""): string {
  const url = new URL(BROKER_URL);
  url.username = user;
  url.password = password;
  if (path) url.pathname = path;
  return url.href;
}

Deno.test("no broker at the URL: one masked line on stderr, exit 1, quickly", async (t) => {
  for (const script of SCRIPTS) {
    await t.step(script, async () => {
      const url = `amqp://guest:hunter2@127.0.0.1:${closedPort()}`;
      const result = await run(script, ["--url", url], { allowNet: "127.0.0.1" });
      assertOneLineError(
        result,
        1,
        /amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: connection refused/,
        "hunter2",
      );
      ok(result.ms < 3000, `took ${result.ms} ms`);
    });
  }
});

Deno.test("a list of brokers, none answering: one line naming each, masked, exit 1", async () => {
  const url = `amqp://guest:hunter2@127.0.0.1:${closedPort()},127.0.0.1:${closedPort()}`;
  const result = await run("consumer.ts", ["--url", url], { allowNet: "127.0.0.1" });
  assertOneLineError(
    result,
    1,
    /^Cannot connect to any of 2 brokers: amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: connection refused.*; amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: connection refused/,
    "hunter2",
  );
});

Deno.test("a port that accepts TCP but never answers: timeout line, exit 1, socket released", async () => {
  using peer = silentPeer();
  const url = `amqp://guest:guest@127.0.0.1:${peer.port}/?connection_timeout=500`;
  const result = await run("consumer.ts", ["--url", url], { allowNet: "127.0.0.1" });
  assertOneLineError(result, 1, /no answer within 0\.5 s/);
  ok(result.ms < 3000, `took ${result.ms} ms`);
  deepEqual(await peer.received, 8, "the client sent its protocol header, then closed");
});

Deno.test("wrong password: access refused, exit 1, password never printed", async (t) => {
  for (const script of SCRIPTS) {
    await t.step(script, async () => {
      const result = await run(script, ["--url", withCredentials("guest", "wrong-pass-42")]);
      assertOneLineError(result, 1, /access refused \(403\)/, "wrong-pass-42");
    });
  }
});

Deno.test("unknown vhost: a line naming it, exit 1", async () => {
  const result = await run("consumer.ts", [
    "--url",
    withCredentials("guest", "guest", "/no-such-vhost"),
  ]);
  assertOneLineError(result, 1, /vhost "no-such-vhost".*\(530\)/);
});

Deno.test("unknown host and malformed URL: one line each", async (t) => {
  await t.step("unknown host: exit 1", async () => {
    const result = await run("producer.ts", [
      "--url",
      "amqp://guest:guest@no-such-host.invalid:5672",
    ], {
      allowNet: true,
    });
    assertOneLineError(result, 1, /unknown host/);
  });
  await t.step("malformed URL: exit 2", async () => {
    const result = await run("producer.ts", ["--url", "amqp//guest:s3cr3t@oops"]);
    assertOneLineError(result, 2, /Cannot parse the broker URL/, "s3cr3t");
  });
  await t.step("wrong scheme: exit 2", async () => {
    const result = await run("producer.ts", ["--url", "http://guest:s3cr3t@127.0.0.1:5672"]);
    assertOneLineError(result, 2, /scheme must be amqp/, "s3cr3t");
  });
});

Deno.test("dead_letter_worker.ts on a queue without dead-letter settings: one line, exit 1", async () => {
  // Every other script uses a queue as it finds it; this pattern needs the queue's arguments.
  const queue = uniqueQueue("no-dlx");
  try {
    await withChannel((channel) => declareQueue(channel, queue));
    const result = await run("patterns/dead_lettering/dead_letter_worker.ts", ["--queue", queue]);
    assertOneLineError(result, 1, /already exists without the dead-letter settings.*delete_queue/);
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("configuration that cannot be read is named, never replaced by a default", async (t) => {
  await t.step("no --allow-env: AMQP_URL is named with the flag, exit 2", async () => {
    const result = await run("producer.ts", [], { allowEnv: false });
    assertOneLineError(
      result,
      2,
      /Cannot read the environment variable AMQP_URL: not allowed, run with --allow-env="AMQP_\*"/,
    );
  });
  // A URL without a password takes it from the environment, which must then be readable.
  const noPassword = (() => {
    const url = new URL(BROKER_URL);
    url.password = "";
    return url.href;
  })();
  await t.step("--allow-env=AMQP_URL only: AMQP_PASSWORD is not silently ignored", async () => {
    const result = await run("producer.ts", [], {
      allowEnv: "AMQP_URL",
      env: { AMQP_URL: noPassword, AMQP_PASSWORD: "from-the-env" },
    });
    assertOneLineError(result, 2, /environment variable AMQP_PASSWORD/, "from-the-env");
  });
  await t.step(
    "--url without a password: AMQP_URL is not needed, but the password variables are",
    async () => {
      const result = await run("consumer.ts", ["--url", noPassword], { allowEnv: false });
      assertOneLineError(result, 2, /environment variable AMQP_PASSWORD/);
    },
  );
});

Deno.test("amqps:// to a port that speaks plain AMQP: one line that says so, exit 1", async () => {
  const url = new URL(BROKER_URL);
  url.protocol = "amqps:";
  const result = await run("producer.ts", ["--url", url.href]);
  assertOneLineError(
    result,
    1,
    /does not speak TLS on this port \(is it a plain AMQP port\? then use amqp:\/\//,
  );
});

Deno.test("bad flags: one usage line on stderr, exit 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["producer.ts", ["--bogus"], /Unknown flag '--bogus'/],
    ["producer.ts", ["--count", "abc"], /--count "abc"/],
    ["producer.ts", ["--count", "-1"], /--count/],
    [
      "producer.ts",
      ["--count", "-5"],
      /^Cannot parse --count "-5": expected a whole number, 0 or more/,
    ],
    [
      "producer.ts",
      ["--queue", "--count", "3"],
      /^Missing the value of --queue \(found --count instead\)/,
    ],
    [
      "producer.ts",
      ["--queue", "q".repeat(300)],
      /^Cannot use --queue "q{40}…" \(300 bytes\): a queue name is at most 255 bytes/,
    ],
    [
      "consumer.ts",
      ["--queue", "amq.foo"],
      /^Cannot use --queue "amq\.foo": names starting with "amq\." are reserved/,
    ],
    ["producer.ts", ["--queue", ""], /^Cannot use --queue "": expected a queue name/],
    [
      "consumer.ts",
      ["--queue-type", "lazy"],
      /^Cannot use --queue-type "lazy": expected classic, quorum, stream/,
    ],
    [
      "producer.ts",
      ["--transient"],
      /^Cannot use --transient with --queue-type quorum: quorum queues are always durable/,
    ],
    ["producer.ts", ["--count"], /--count/],
    ["producer.ts", ["stray"], /stray/],
    ["consumer.ts", ["--style", "push"], /--style "push"/],
    ["consumer.ts", ["--prefetch", "many"], /--prefetch "many"/],
    ["consumer.ts", ["--idle", "0"], /--idle "0"/],
    ["consumer.ts", ["--max", "0"], /--max "0"/],
    ["consumer.ts", ["--inactivity", "soon"], /--inactivity "soon"/],
    ["consumer.ts", ["--auto-ack", "--requeue-once"], /--requeue-once with --auto-ack/],
  ];
  for (const [script, args, pattern] of cases) {
    await t.step(`${script} ${args.join(" ")}`, async () => {
      const result = await run(script, args);
      assertOneLineError(result, 2, pattern);
      match(result.stderr, /--help/);
      ok(result.stderr.length < 200, `a line of ${result.stderr.length} characters`);
      deepEqual(result.stdout, "");
    });
  }
});

Deno.test("files that cannot be read: one line naming the file and the fix, exit 2", async (t) => {
  await t.step("--body-file that does not exist", async () => {
    const result = await run("producer.ts", ["--body-file", "/no/such/file"], {
      allowRead: "/no/such/file",
    });
    assertOneLineError(result, 2, /Cannot read --body-file "\/no\/such\/file": no such file/);
  });
  await t.step("--body-file without --allow-read", async () => {
    const result = await run("producer.ts", ["--body-file", "/etc/hostname"]);
    assertOneLineError(result, 2, /run with --allow-read=\/etc\/hostname/);
  });
  await t.step("a CA file that does not exist", async () => {
    const result = await run("consumer.ts", ["--ca", "/no/ca.pem"], { allowRead: "/no" });
    assertOneLineError(result, 2, /Cannot read CA file "\/no\/ca\.pem": no such file/);
  });
  await t.step(
    "AMQP_PASSWORD_FILE that does not exist (for a URL without a password)",
    async () => {
      const url = new URL(BROKER_URL);
      url.password = "";
      const result = await run("consumer.ts", [], {
        env: { AMQP_URL: url.href, AMQP_PASSWORD_FILE: "/no/password" },
        allowRead: "/no",
      });
      assertOneLineError(result, 2, /Cannot read AMQP_PASSWORD_FILE "\/no\/password"/);
    },
  );
});
