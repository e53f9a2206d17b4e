// TLS with a private CA, and credentials from the environment or a file, on a private node with
// a TLS listener. Every script's output and errors are searched for the password.

import { deepEqual, match, ok } from "node:assert/strict";
import { startPrivateBroker } from "../../tools/private_broker.ts";
import { deleteQueue, depth, type Ran, run, runCommand, uniqueQueue } from "../_helpers.ts";
import { watchArgv } from "../_helpers.ts";

const PASSWORD = "pa55-Secret-93kq";

/** Runs `openssl ARGS` (a space-separated line) in `dir`; fails with its stderr. */
async function openssl(dir: string, args: string): Promise<void> {
  const command = new Deno.Command("openssl", { args: args.split(" "), cwd: dir });
  const { success, stderr } = await command.output();
  if (!success) throw new Error(`openssl ${args}: ${new TextDecoder().decode(stderr)}`);
}

/** A CA, a server certificate for localhost/127.0.0.1 signed by it, and an unrelated CA. */
async function makeCertificates(dir: string) {
  const newKey = "-newkey rsa:2048 -nodes -days 2";
  await openssl(dir, `req -x509 ${newKey} -subj /CN=test-CA -keyout ca.key -out ca.pem`);
  await openssl(dir, `req -x509 ${newKey} -subj /CN=other-CA -keyout other.key -out other.pem`);
  await openssl(dir, `req ${newKey} -subj /CN=localhost -keyout server.key -out server.csr`);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName = DNS:localhost, IP:127.0.0.1\n");
  await openssl(
    dir,
    "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 " +
      "-extfile san.ext -out server.pem",
  );
  return {
    caFile: `${dir}/ca.pem`,
    certFile: `${dir}/server.pem`,
    keyFile: `${dir}/server.key`,
    otherCa: `${dir}/other.pem`,
  };
}

function assertNoPassword(result: Ran) {
  ok(!(result.stdout + result.stderr).includes(PASSWORD), "the password was printed");
}

Deno.test("TLS and credentials on a private node", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "rabbitmq-deno-tls-" });
  try {
    const files = await makeCertificates(dir);
    await using broker = await startPrivateBroker({ tls: files });
    const tlsUrl = broker.tlsUrl!;
    const queue = uniqueQueue("tls");
    const allowNet = "localhost,127.0.0.1";

    await t.step("amqps:// with the CA from --ca: a normal run", async () => {
      const result = await run("producer.ts", [
        "--queue",
        queue,
        "--count",
        "5",
        "--ca",
        files.caFile,
      ], {
        env: { AMQP_URL: tlsUrl },
        allowNet,
        allowRead: files.caFile,
      });
      deepEqual([result.code, result.stderr], [0, ""]);
      deepEqual(result.stdout.trim().split("\n").length, 5);
      deepEqual(await depth(queue, broker.url), 5);
    });

    await t.step("amqps:// with the CA from AMQP_CA_FILE: the consumer drains them", async () => {
      const result = await run("consumer.ts", ["--queue", queue, "--idle", "0.5"], {
        env: { AMQP_URL: tlsUrl, AMQP_CA_FILE: files.caFile },
        allowNet,
        allowRead: files.caFile,
      });
      deepEqual(result.code, 0, result.stderr);
      match(result.stdout, /Done: 5 messages/);
    });

    await t.step("the wrong CA: a clear TLS line, exit 1", async () => {
      const result = await run("producer.ts", ["--queue", queue, "--ca", files.otherCa], {
        env: { AMQP_URL: tlsUrl },
        allowNet,
        allowRead: files.otherCa,
      });
      deepEqual(result.code, 1);
      deepEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
      match(result.stderr, /TLS failed \(.*(certificate|UnknownIssuer).*\)\. Check the CA file/i);
    });

    await t.step(
      "plain amqp:// to the TLS port: a line that suggests amqps://, exit 1",
      async () => {
        const plain = tlsUrl.replace("amqps://", "amqp://");
        const result = await run("producer.ts", ["--queue", queue], {
          env: { AMQP_URL: plain },
          allowNet,
        });
        deepEqual(result.code, 1);
        match(result.stderr, /is this a TLS port\? then use amqps:\/\//);
      },
    );

    await broker.addUser("deno", PASSWORD);
    await broker.addUser("alice", "s3,cr/et@x9");
    const noPasswordUrl = broker.url.replace("guest:guest@", "deno@");

    await t.step("the password from AMQP_PASSWORD, never printed", async () => {
      const result = await run("producer.ts", ["--queue", queue, "--count", "1"], {
        env: { AMQP_URL: noPasswordUrl, AMQP_PASSWORD: PASSWORD },
        allowNet,
      });
      deepEqual(result.code, 0, result.stderr);
      assertNoPassword(result);
    });

    await t.step("the password from AMQP_PASSWORD_FILE, never printed", async () => {
      const file = `${dir}/password`;
      await Deno.writeTextFile(file, `${PASSWORD}\n`);
      const result = await run("consumer.ts", ["--queue", queue, "--idle", "0.3"], {
        env: { AMQP_URL: noPasswordUrl, AMQP_PASSWORD_FILE: file },
        allowNet,
        allowRead: file,
      });
      deepEqual(result.code, 0, result.stderr);
      match(result.stdout, /Done: 1 messages/);
      assertNoPassword(result);
    });

    await t.step(
      "a password in the URL is the one used: AMQP_PASSWORD never replaces it",
      async () => {
        const url = broker.url.replace("guest:guest@", "deno:not-it@");
        const result = await run("producer.ts", ["--queue", queue, "--count", "1"], {
          env: { AMQP_URL: url, AMQP_PASSWORD: PASSWORD },
          allowNet,
        });
        deepEqual(result.code, 1, result.stdout);
        match(result.stderr, /access refused \(403\)/);
        assertNoPassword(result);
      },
    );

    await t.step("a wrong password in the URL: access refused, masked, exit 1", async () => {
      const url = broker.url.replace("guest:guest@", `deno:${PASSWORD}x@`);
      for (const script of ["producer.ts", "consumer.ts"]) {
        const result = await run(script, ["--queue", queue], { env: { AMQP_URL: url }, allowNet });
        deepEqual(result.code, 1);
        match(result.stderr, /amqp:\/\/deno:\*\*\*\*@127\.0\.0\.1:\d+: access refused \(403\)/);
        assertNoPassword(result);
      }
    });
    await t.step(
      "no password in any output, error or child's argv, for every URL form",
      () => noPasswordAnywhere(broker.port),
    );
    await deleteQueue(queue, broker.url);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * What every script prints, and what the tools it runs are given on their command lines, holds
 * no trace of a password with the characters that URLs make awkward (`,` `/` `@`): working
 * broker lists (the demo, the tutorial bench, the scale bench, which start children), and lists
 * that do not answer or do not parse (every script, example and pattern).
 */
async function noPasswordAnywhere(port: number) {
  const secret = "s3,cr/et@x9";
  const encoded = encodeURIComponent(secret);
  const traces = [secret, encoded, "cr/et", "cr%2Fet", "et@x9", "et%40x9"];
  const root = new URL("../..", import.meta.url).pathname;
  const net = `127.0.0.1:${port},127.0.0.1:1,127.0.0.1:2`;
  const list = `amqp://alice:${encoded}@127.0.0.1:${port},127.0.0.1:${port}`;
  const check = (what: string, ran: { code: number; stdout: string; stderr: string }) => {
    for (const trace of traces) {
      ok(!(ran.stdout + ran.stderr).includes(trace), `${what} printed "${trace}"`);
    }
  };
  const argv = watchArgv(traces);
  try {
    // The tasks as deno.json has them (the tutorial bench's --allow-net widened to this node).
    const tasks = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks;
    for (
      const [what, command] of [
        ["deno task demo", tasks.demo],
        [
          "deno task bench:tutorial --runs 1",
          `${
            tasks["bench:tutorial"].replace("--allow-net=127.0.0.1:5672", `--allow-net=${net}`)
          } --runs 1`,
        ],
        ["deno task bench --scale --scale-max 1000", `${tasks.bench} --scale --scale-max 1000`],
      ]
    ) {
      const ran = await runCommand(["bash", "-c", `exec ${command}`], { env: { AMQP_URL: list } });
      deepEqual(ran.code, 0, `${what}: ${ran.stderr}`);
      check(what, ran);
    }
    // Brokers that do not answer, and a list that does not parse (a raw "/" in the password).
    const scripts = ["producer.ts", "consumer.ts"];
    for (const folder of ["examples", "patterns"]) {
      for await (const entry of walk(`${root}${folder}`)) scripts.push(entry.slice(root.length));
    }
    const args: Record<string, string[]> = {
      "emit_log_direct.ts": ["error", "x"],
      "receive_logs_direct.ts": ["error"],
      "emit_log_topic.ts": ["a.b", "x"],
      "receive_logs_topic.ts": ["#"],
      "rpc_client.ts": ["1"],
    };
    for (
      const url of [
        `amqp://alice:${encoded}@127.0.0.1:1,127.0.0.1:2`,
        `amqp://alice:${secret}@127.0.0.1:1,127.0.0.1:2`,
      ]
    ) {
      for (const script of scripts) {
        const ran = await run(script, args[script.split("/").at(-1)!] ?? [], {
          env: { AMQP_URL: url },
          allowNet: net,
        });
        ok(ran.code === 1 || ran.code === 2, `${script}: exit ${ran.code}\n${ran.stdout}`);
        deepEqual(ran.stderr.trim().split("\n").length, 1, `${script}: ${ran.stderr}`);
        check(script, ran);
      }
    }
  } finally {
    deepEqual(argv.stop(), [], "a password in a process's argv");
  }
}

/** The .ts files under `dir`, at any depth. */
async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts") && !entry.name.startsWith("_")) yield path;
  }
}
