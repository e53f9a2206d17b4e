/**
 * # Run a command against a RabbitMQ broker, starting a throwaway one if none answers
 *
 * Uses the broker at `AMQP_URL` (else the default URL) when it answers. Otherwise it starts a
 * private node from the local `rabbitmq-server` (see private_broker.ts), or runs
 * `docker compose up --wait` where a Docker engine answers, points `AMQP_URL` at it for the
 * command, and stops it afterwards — also when the command fails or is interrupted. With
 * neither, it exits 1 with one line saying what to install. `--docker` prefers Docker Compose
 * (this repository's compose.yaml, as the project `rabbitmq-deno-with-broker`, from any folder).
 *
 *     deno run -A tools/with_broker.ts deno test --allow-all
 *
 * @module
 */

import { brokerUrls, connect, DEFAULT_URL, maskUrl, resolveUrl } from "../lib/mod.ts";
import { findRabbitmqBin, type PrivateBroker, startPrivateBroker } from "./private_broker.ts";

/** Where the command's broker came from. */
export type BrokerSource = "AMQP_URL" | "private node" | "docker compose";

async function answers(url: string): Promise<boolean> {
  try {
    await (await connect({ url, timeout: 3000, name: "with_broker" })).close();
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    return (await new Deno.Command("docker", { args: ["info"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/**
 * Runs `docker compose` on this repository's compose.yaml, as a project of its own name, from
 * wherever the caller is: `down --volumes` must only ever remove what `up` made here.
 */
async function compose(...args: string[]): Promise<void> {
  const file = new URL("../compose.yaml", import.meta.url).pathname;
  const { success } = await new Deno.Command("docker", {
    args: ["compose", "--file", file, "--project-name", COMPOSE_PROJECT, ...args],
  }).output();
  if (!success) throw new Error(`docker compose ${args.join(" ")} failed`);
}

/** The Compose project with_broker.ts starts and removes. */
export const COMPOSE_PROJECT = "rabbitmq-deno-with-broker";

/**
 * Calls `fn` with the URL of a broker that answers, started for the call if need be, and
 * stops what it started when `fn` settles. `onStart` hears which broker is used. `docker`
 * prefers Docker Compose to a local rabbitmq-server.
 */
export async function withBroker<T>(
  fn: (url: string, node?: PrivateBroker) => Promise<T>,
  onStart: (source: BrokerSource, url: string) => void = () => {},
  options: { docker?: boolean } = {},
): Promise<T> {
  const url = resolveUrl();
  brokerUrls(url); // a malformed URL is the user's to fix, not a reason to start a broker
  if (await answers(url)) {
    onStart("AMQP_URL", url);
    return await fn(url);
  }
  if (findRabbitmqBin() && !options.docker) {
    // At the default address when it is free, so that the README's commands, which may reach
    // only 127.0.0.1:5672, work against it as written.
    const port = url === DEFAULT_URL && portIsFree(5672) ? 5672 : undefined;
    await using broker = await startPrivateBroker({ port });
    onStart("private node", broker.url);
    return await fn(broker.url, broker);
  }
  if (await dockerAnswers()) {
    await compose("up", "--detach", "--wait");
    try {
      onStart("docker compose", url);
      return await fn(url);
    } finally {
      await compose("down", "--volumes");
    }
  }
  throw new Error(
    `No RabbitMQ answers at ${maskUrl(url)} and none can be started here: install ` +
      `rabbitmq-server (Debian: apt-get install rabbitmq-server) or Docker, or set AMQP_URL`,
  );
}

if (import.meta.main) {
  const docker = Deno.args[0] === "--docker";
  const [command, ...args] = Deno.args.slice(docker ? 1 : 0);
  if (!command) {
    console.error("Usage: with_broker.ts [--docker] COMMAND [ARGS...]");
    Deno.exit(2);
  }
  try {
    Deno.exitCode = await withBroker(async (url, node) => {
      // Ctrl+C reaches the command too (same process group); wait for it, then clean up.
      const ignore = () => {};
      Deno.addSignalListener("SIGINT", ignore);
      try {
        // The tests reach a private node's rabbitmqctl through these (vhosts of their own).
        const ctl: Record<string, string> = node
          ? {
            RABBITMQ_TEST_NODE: node.node,
            RABBITMQ_TEST_HOME: node.dir,
            RABBITMQ_TEST_BIN: node.bin,
          }
          : {};
        const env = { AMQP_URL: url, ...ctl };
        const child = new Deno.Command(command, { args, env }).spawn();
        return (await child.status).code;
      } finally {
        Deno.removeSignalListener("SIGINT", ignore);
      }
    }, (source, url) => {
      if (source !== "AMQP_URL") console.error(`with_broker: using a ${source} at ${maskUrl(url)}`);
    }, { docker });
  } catch (error) {
    console.error((error as Error).message.split("\n")[0]);
    Deno.exitCode = 1;
  }
}
