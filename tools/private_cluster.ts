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
import { ctlEnv, findRabbitmqBin, freePort, type PrivateBroker } from "./private_broker.ts";
import { startPrivateBroker } from "./private_broker.ts";
import { readOwnFile, stateFolder, UntrustedFileError, writeNewFile } from "./_private_files.ts";

/** A running private cluster. Dispose of it (`await using`) to stop it and delete its folders. */
export interface PrivateCluster extends AsyncDisposable {
  /** The folder that holds the nodes' folders. */
  dir: string;
  /** The cluster's id: its node names are `deno-cluster-ID-1@localhost` and so on. */
  id: string;
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
  // What `--stop` checks before it deletes anything: this folder is one this tool made.
  await writeNewFile(`${dir}/${MARKER}`, id);
  const names = nodeNames(id);
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
    id,
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

/** The file in a cluster's folder that holds its id. */
const MARKER = ".rabbitmq-deno-cluster";

/** The node names of cluster `id`. */
function nodeNames(id: string): string[] {
  return Array.from({ length: SIZE }, (_, i) => `deno-cluster-${id}-${i + 1}@localhost`);
}

async function waitFor(timeout: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The cluster did not form within ${timeout / 1000} s`);
}

/**
 * Where `--detach` records a cluster left running, for `--stop`: a file of this user's own, in
 * a folder of its own (tools/_private_files.ts), never in a shared folder such as /tmp, where
 * another local user could plant one.
 */
async function stateFile(): Promise<string> {
  return `${await stateFolder("rabbitmq-deno")}/cluster.json`;
}

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
    // A cluster already left running, or anything else in the state file's place, stops us
    // before any node starts.
    const state = flags.detach ? await stateFile() : undefined;
    if (state && (await Deno.lstat(state).then(() => true, () => false))) {
      throw new UntrustedFileError(
        state,
        "a cluster left running is recorded there; stop it with: deno task cluster --stop",
      );
    }
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
    if (state) {
      await writeNewFile(state, JSON.stringify({ id: cluster.id, dir: cluster.dir }));
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

/**
 * Stops the nodes of a cluster left running with `--detach`. Nothing in the state file is taken
 * on trust: it must be this user's own file; it names only the cluster's id and folder, which
 * must be a folder of this user's that holds the id this tool wrote there; the node names and
 * folders follow from those, and rabbitmqctl is the local installation's.
 */
async function stopDetached(): Promise<number> {
  const path = await stateFile();
  const text = await readOwnFile(path);
  if (text === undefined) {
    console.log(` [*] No cluster left running (nothing in ${path})`);
    return 0;
  }
  const { id, dir } = parseState(path, text);
  const marker = `${dir}/${MARKER}`;
  const found = await readOwnFile(marker).catch((error) => {
    if (error instanceof UntrustedFileError) throw error;
    return undefined;
  });
  const folder = await Deno.lstat(dir).catch(() => undefined);
  if (found !== id || !folder?.isDirectory || folder.uid !== Deno.uid()) {
    throw new UntrustedFileError(path, `${dir} is not the folder of cluster ${id} this tool made`);
  }
  const bin = findRabbitmqBin();
  if (!bin) throw new Error("No rabbitmq-server found to stop the nodes with");
  const names = nodeNames(id);
  for (const [i, node] of names.entries()) {
    await new Deno.Command(`${bin}/rabbitmqctl`, {
      args: ["-n", node, "stop"],
      env: ctlEnv(`${dir}/node${i + 1}`),
      stdout: "null",
      stderr: "null",
    }).output();
  }
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(path);
  console.log(` [*] Stopped ${names.length} nodes and deleted their data`);
  return 0;
}

/** The state file's `{ id, dir }`, each of the one form this tool writes. */
function parseState(path: string, text: string): { id: string; dir: string } {
  let state: { id?: unknown; dir?: unknown };
  try {
    state = JSON.parse(text);
  } catch {
    throw new UntrustedFileError(path, "it is not the JSON this tool writes");
  }
  const { id, dir } = state;
  if (
    typeof id !== "string" || !/^[0-9a-f]{8}$/.test(id) || typeof dir !== "string" ||
    !/^\/.*\/rabbitmq-deno-cluster-[^/]+$/.test(dir) || dir.includes("/../")
  ) {
    throw new UntrustedFileError(path, "it does not name a cluster as this tool records one");
  }
  return { id, dir };
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
