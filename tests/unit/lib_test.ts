// lib/ without a broker: URLs and their masking, flags, exit codes, connect timeouts.

import { deepEqual, ok, rejects, throws } from "node:assert/strict";
import {
  BrokerError,
  brokerUrls,
  ConfigError,
  connect,
  DEFAULT_URL,
  failure,
  integerFlag,
  maskUrl,
  parseFlags,
  secondsFlag,
  UsageError,
} from "../../lib/mod.ts";
import { silentPeer } from "../_helpers.ts";

Deno.test("resolveUrl() takes --url, else AMQP_URL, else the default", async (t) => {
  const resolve = async (env: Record<string, string>, arg = "") => {
    const code = `import { resolveUrl } from "${new URL("../../lib/mod.ts", import.meta.url)}";` +
      `console.log(resolveUrl(${JSON.stringify(arg)} || undefined));`;
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env,
      clearEnv: true,
    }).output();
    return new TextDecoder().decode(stdout).trim();
  };
  await t.step("default", async () => deepEqual(await resolve({}), DEFAULT_URL));
  await t.step("AMQP_URL", async () => {
    deepEqual(await resolve({ AMQP_URL: "amqp://a:b@h:1/v" }), "amqp://a:b@h:1/v");
  });
  await t.step("explicit wins", async () => {
    deepEqual(await resolve({ AMQP_URL: "amqp://env" }, "amqp://flag"), "amqp://flag");
  });
});

Deno.test("maskUrl() hides the password and nothing else", () => {
  const cases: [string, string][] = [
    ["amqp://guest:guest@127.0.0.1:5672", "amqp://guest:****@127.0.0.1:5672"],
    ["amqps://u:p%40ss@host/vhost?heartbeat=5", "amqps://u:****@host/vhost?heartbeat=5"],
    ["amqp://u:raw/pass@host:5672/v", "amqp://u:****@host:5672/v"],
    ["amqp://user@host:5672", "amqp://user@host:5672"],
    ["amqp://host:5672/vhost", "amqp://host:5672/vhost"],
    ["amqp://:secret@host", "amqp://:****@host"],
    ["amqp//guest:secret@host", "amqp//guest:****@host"],
    ["guest:secret@host", "guest:****@host"],
    ["amqp://u:a,b/c@h1:5672,h2", "amqp://u:****@h1:5672,h2"],
    ["amqp://u:p@ss@host", "amqp://u:****@host"],
    ["amqp://u:ht://x@host", "amqp://u:****@host"],
    ["amqp://u:p@h1,amqp://v:q@h2", "amqp://u:****@h1,amqp://v:****@h2"],
  ];
  for (const [url, masked] of cases) deepEqual(maskUrl(url), masked, url);
});

Deno.test("no password survives masking, in any URL form, nor in a parse error", () => {
  const passwords = ["s3cr,et/x", "s3cr/et,x", "s3cr@et,x/y", "s3cr:et//x", "s3cr?et#x", "s3cret"];
  for (const password of passwords) {
    const encoded = encodeURIComponent(password);
    const forms = [
      `amqp://alice:${password}@h1:5672/v`,
      `amqp://alice:${password}@h1:5672,h2:5673`,
      `amqp://alice:${password}@h1,amqp://bob:${password}@h2`,
      `amqps://alice:${password}@h1:5671/v?heartbeat=5,h2`,
      `alice:${password}@h1`,
      `amqp://alice:${encoded}@h1,h2`,
      `amqp://h1:5672,amqp://alice:${password}@h2`,
    ];
    for (const url of forms) {
      for (const text of [maskUrl(url), parseError(url)]) {
        for (const secret of [password, encoded, ...password.split(/[,/@:?#]/)]) {
          ok(secret.length < 3 || !text.includes(secret), `${url} → ${text} shows "${secret}"`);
        }
      }
    }
  }
});

/** What brokerUrls() says of a URL: its ConfigError's message, or "" when it parses. */
function parseError(url: string): string {
  try {
    brokerUrls(url);
    return "";
  } catch (error) {
    ok(error instanceof ConfigError, String(error));
    return error.message;
  }
}

Deno.test("flag helpers: strict parsing, numbers with clear messages, exit codes", async (t) => {
  await t.step("parseFlags", () => {
    const spec = { count: { type: "string" as const }, yes: { type: "boolean" as const } };
    deepEqual(parseFlags(["--count", "3", "--yes"], spec), { count: "3", yes: true });
    throws(() => parseFlags(["--cuont", "3"], spec), /Unknown flag '--cuont'/);
    throws(() => parseFlags(["extra"], spec), UsageError);
    throws(() => parseFlags(["--count"], spec), UsageError);
  });
  await t.step("integerFlag", () => {
    deepEqual(integerFlag("count", "0", 0), 0);
    deepEqual(integerFlag("count", " 12 "), 12);
    for (const bad of ["", "abc", "-1", "1.5", "1e3", "0x10", "9007199254740993"]) {
      throws(() => integerFlag("count", bad), UsageError, bad);
    }
    throws(() => integerFlag("max", "0"), /Cannot parse --max "0": expected a whole number, 1/);
  });
  await t.step("secondsFlag", () => {
    deepEqual(secondsFlag("idle", "0.25"), 250);
    for (const bad of ["", "0", "-1", "soon", "Infinity"]) {
      throws(() => secondsFlag("idle", bad), UsageError, bad);
    }
  });
  await t.step("failure", () => {
    deepEqual(failure(new UsageError("Unknown flag '--x'")), {
      line: "Unknown flag '--x' (see --help)",
      exitCode: 2,
    });
    deepEqual(failure(new BrokerError("Cannot connect")), { line: "Cannot connect", exitCode: 1 });
    deepEqual(failure(new TypeError("bad\n    at x.ts:1:1")), { line: "Error: bad", exitCode: 1 });
    deepEqual(failure("plain"), { line: "Error: plain", exitCode: 1 });
  });
});

Deno.test("connect() times out on a silent port and really releases the socket", async () => {
  using peer = silentPeer();
  const started = performance.now();
  await rejects(
    connect({ url: `amqp://guest:guest@127.0.0.1:${peer.port}`, timeout: 300 }),
    (error: Error) => error instanceof BrokerError && /no answer within 0\.3 s/.test(error.message),
  );
  const elapsed = performance.now() - started;
  ok(elapsed >= 290 && elapsed < 2000, `${elapsed} ms`);
  // The peer sees end-of-stream after the 8-byte protocol header: the client closed it.
  deepEqual(await peer.received, 8);
});

Deno.test("connect() can be aborted by the caller", async () => {
  using peer = silentPeer();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("user gave up")), 100);
  await rejects(
    connect({ url: `amqp://127.0.0.1:${peer.port}`, timeout: 10_000, abort: controller.signal }),
    /user gave up/,
  );
  deepEqual(await peer.received, 8);
});

Deno.test("brokerUrls(): a list takes what each entry leaves out from the first", () => {
  deepEqual(brokerUrls("amqp://u:p@h1:5672"), ["amqp://u:p@h1:5672"]);
  deepEqual(brokerUrls("amqp://u:p@h1:5672/v?heartbeat=5,h2:5673,amqps://x:y@h3"), [
    "amqp://u:p@h1:5672/v?heartbeat=5",
    "amqp://u:p@h2:5673/v?heartbeat=5",
    "amqps://x:y@h3/v?heartbeat=5",
  ]);
  throws(() => brokerUrls("amqp://h1,,h2"), /empty entry/);
  throws(() => brokerUrls("amqp://h1,http://h2"), /scheme must be amqp/);
  // A comma inside a password stays inside it, and inside the mask.
  deepEqual(maskUrl("amqp://u:pa,ss@h1,h2"), "amqp://u:****@h1,h2");
  deepEqual(maskUrl("amqp://u:p@h1,amqp://v:q@h2"), "amqp://u:****@h1,amqp://v:****@h2");
});
