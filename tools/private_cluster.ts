/**
 * # `deno task cluster`: three private RabbitMQ nodes as one cluster, on this machine
 *
 * Starts three nodes from the local `rabbitmq-server` (the recipe of private_broker.ts: own node
 * names, ports, data folders), with one shared Erlang cookie and each other's names in their
 * `rabbitmq.conf` (`cluster_formation.peer_discovery_backend = classic_config`), so they form
 * one cluster as they boot, without a join step. Prints the URL list for `AMQP_URL`, then waits:
 * Ctrl+C stops the nodes and deletes their folders. `--detach` leaves them running instead and
 * `--stop` stops a cluster left so.
 *
 *     deno task cluster
 *
 * @module
 */

import { parseFlags, reportFailure, UsageError } from "../lib/mod.ts";
import { freePort, type PrivateBroker, startPrivateBroker } from "./private_broker.ts";

/** A running private cluster. Dispose of it (`await using`) to stop it and delete its folders. */
export interface PrivateCluster extends AsyncDisposable {
  /** The folder that holds the nodes' folders. */
  dir: string;
  /** The nodes, in the order of `urls`. */
  nodes: PrivateBroker[];
  /** One `amqp://guest:guest@127.0.0.1:PORT` per node. */
  urls: string[];
  /** The URL list for `AMQP_URL` / `--url`: the node URLs, comma-separated. */
  url: string;
  /** The node (index into `nodes`) that leads a quorum queue or stream, or -1 if none does. */
  leaderOf(queue: string): Promise<number>;
  /** Stops every node and deletes their folders. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startPrivateCluster}. */
export interface PrivateClusterOptions {
  /** The AMQP ports of the three nodes. Default: three free ones. */
  ports?: number[];
  /** The folder that holds the nodes' folders. Default: a new temporary folder. */
  dir?: string;
  /** Where the nodes' output goes ({@linkcode PrivateBrokerOptions}). Default: their folders. */
  output?: "file" | "null";
}

const SIZE = 3;

/**
 * Starts three private nodes that form one cluster, and resolves once every node answers AMQP
 * and sees the other two running.
 *
 * @example
 * ```ts ignore
 * await using cluster = await startPrivateCluster();
 * console.log(cluster.url); // amqp://guest:guest@127.0.0.1:2xxxx,amqp://...
 * ```
 */
export async function startPrivateCluster(
  options: PrivateClusterOptions = {},
): Promise<PrivateCluster> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "rabbitmq-deno-cluster-" });
  const id = crypto.randomUUID().slice(0, 8);
  const names = Array.from({ length: SIZE }, (_, i) => `deno-cluster-${id}-${i + 1}@localhost`);
  const cookie = crypto.randomUUID().replaceAll("-", "");
  const config = [
    "cluster_formation.peer_discovery_backend = classic_config",
    ...names.map((name, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${name}`),
  ];
  const started = await Promise.allSettled(names.map((node, i) =>
    startPrivateBroker({
      node,
      cookie,
      config,
      port: options.ports?.[i] ?? freePort(),
      dir: `${dir}/node${i + 1}`,
      output: options.output,
      timeout: 120_000,
    })
  ));
  const nodes = started.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  try {
    // Booting together, the nodes form the cluster; wait until each sees all three running.
    for (const node of nodes) {
      await waitFor(120_000, async () => {
        const status = JSON.parse(await node.ctl("cluster_status", "--formatter", "json"));
        return (status.running_nodes as string[]).length === SIZE;
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const urls = nodes.map((node) => node.url);
  return {
    dir,
    nodes,
    urls,
    url: urls.join(","),
    async leaderOf(queue: string) {
      for (const node of nodes) {
        try {
          const rows = JSON.parse(
            await node.ctl("list_queues", "name", "leader", "--formatter", "json", "--quiet"),
          ) as { name: string; leader: string }[];
          const leader = rows.find((row) => row.name === queue)?.leader;
          return leader === undefined ? -1 : names.indexOf(leader);
        } catch {
          // that node is down: ask the next
        }
      }
      return -1;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function waitFor(timeout: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The cluster did not form within ${timeout / 1000} s`);
}

/** Where `--detach` records a cluster left running, for `--stop`. */
const STATE_FILE = `${Deno.env.get("TMPDIR") ?? "/tmp"}/rabbitmq-deno-cluster.json`;

const USAGE = `Usage: private_cluster.ts [--ports P1,P2,P3] [--detach | --stop]

Starts three private RabbitMQ nodes as one cluster and prints the URL list for AMQP_URL.

  --ports P1,P2,P3  their AMQP ports (default 5681,5682,5683)
  --detach          leave the cluster running and exit (stop it with --stop)
  --stop            stop a cluster started with --detach and delete its folders
  --help            show this text`;

async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      ports: { type: "string", default: "5681,5682,5683" },
      detach: { type: "boolean", default: false },
      stop: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (flags.stop) return await stopDetached();
    const ports = flags.ports.split(",").map(Number);
    if (ports.length !== SIZE || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      throw new UsageError(`Cannot use --ports "${flags.ports}": expected three ports, P1,P2,P3`);
    }
    console.log(` [*] Starting three RabbitMQ nodes on ports ${ports.join(", ")} (about 30 s)`);
    const cluster = await startPrivateCluster({
      ports,
      output: flags.detach ? "null" : "file",
    });
    console.log(
      ` [*] One cluster of three nodes. Use it with:\n\nexport AMQP_URL=${cluster.url}\n`,
    );
    if (flags.detach) {
      await Deno.writeTextFile(
        STATE_FILE,
        JSON.stringify({
          dir: cluster.dir,
          nodes: cluster.nodes.map(({ node, dir, bin }) => ({ node, dir, bin })),
        }),
      );
      console.log(" [*] Left running; stop it with: deno task cluster --stop");
      return 0;
    }
    console.log(" [*] Ctrl+C stops the nodes and deletes their data");
    const stop = new Promise<void>((resolve) => {
      Deno.addSignalListener("SIGINT", () => resolve());
      Deno.addSignalListener("SIGTERM", () => resolve());
    });
    await stop;
    console.log(" [*] Stopping the cluster");
    await cluster.stop();
    console.log(" [*] Stopped and deleted");
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

/** Stops the nodes of a cluster left running with `--detach`. */
async function stopDetached(): Promise<number> {
  let state: { dir: string; nodes: { node: string; dir: string; bin: string }[] };
  try {
    state = JSON.parse(await Deno.readTextFile(STATE_FILE));
  } catch {
    console.log(" [*] No cluster left running (nothing in " + STATE_FILE + ")");
    return 0;
  }
  for (const { node, dir, bin } of state.nodes) {
    await new Deno.Command(`${bin}/rabbitmqctl`, {
      args: ["-n", node, "stop"],
      env: { HOME: dir, RABBITMQ_CONF_ENV_FILE: "/dev/null" },
      stdout: "null",
      stderr: "null",
    }).output();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await Deno.remove(state.dir, { recursive: true }).catch(() => {});
  await Deno.remove(STATE_FILE);
  console.log(` [*] Stopped ${state.nodes.length} nodes and deleted their data`);
  return 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
