/**
 * # Is a broker there? Run before the tests, so they never skip or crawl through timeouts.
 *
 * Connects to `AMQP_URL` (else the default) and exits 0 if RabbitMQ answers; otherwise prints
 * one line saying what failed and how to start a broker, and exits 1.
 *
 *     deno run --allow-net --allow-env=AMQP_URL tools/require_broker.ts
 *
 * @module
 */

import { connect, failure, resolveUrl } from "../lib/mod.ts";

const url = resolveUrl();
try {
  const connection = await connect({ url, timeout: 3000, name: "require_broker" });
  await connection.close();
} catch (error) {
  console.error(
    `The tests need RabbitMQ at AMQP_URL. ${failure(error).line}` +
      ` (without Docker: "apt-get install rabbitmq-server && rabbitmq-server -detached")`,
  );
  Deno.exit(1);
}
