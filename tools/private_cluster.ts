/**
 * # `deno task cluster`: three private RabbitMQ nodes as one cluster, on this machine
 *
 * Starts three nodes from the local `rabbitmq-server` (the recipe of private_broker.ts: own node
 * names, ports, data folders, the management UI on 127.0.0.1), with one shared Erlang cookie and
 * each other's names in their `rabbitmq.conf` (`cluster_formation.peer_discovery_backend =
 * classic_config`), so they form one cluster as they boot, without a join step. Prints the URL
 * list for `AMQP_URL` and the UIs' addresses, then waits: Ctrl+C stops the nodes and deletes
 * their folders. `--detach` leaves them running instead and `--stop` stops a cluster left so.
 *
 * On Linux each node's Erlang distribution has a loopback address of its own, so that
 * `--partition N` (as root) can cut node N off from the other two and `--heal` join them again
 * (tools/_partition.ts). The nodes run `cluster_partition_handling = pause_minority` and notice
 * a silent peer after `net_ticktime` (10 s here; RabbitMQ's default is 60).
 *
 *     deno task cluster
 *
 * @module
 */

import { parseFlags, reportFailure, UsageError } from "../lib/mod.ts";
import {
  ctlCommand,
  findRabbitmqBin,
  freePort,
  killEpmd,
  type PrivateBroker,
} from "./private_broker.ts";
import { startPrivateBroker } from "./private_broker.ts";
import { readOwnFile, stateFolder, UntrustedFileError, writeNewFile } from "./_private_files.ts";
import { cutOff, distAddresses, heal } from "./_partition.ts";

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
  /** One `http://127.0.0.1:PORT/` per node: its management UI and HTTP API. */
  managementUrls: string[];
  /** The port of the cluster's own epmd (on loopback). */
  epmdPort: number;
  /** The node (index into `nodes`) that leads a quorum queue or stream, or -1 if none does. */
  leaderOf(queue: string): Promise<number>;
  /** Cuts node `index` off from the other two (Linux, root); replaces an earlier cut. */
  partition(index: number): Promise<void>;
  /** Removes the cut, if any. */
  heal(): Promise<void>;
  /**
   * Resolves once every node answers AMQP and sees all three running. A node that has not
   * come back within `timeout` ms (3.10 can hang after a heal: see docs/cluster.md) is killed
   * and started again, once; the indexes of the nodes so repaired are the result.
   */
  awaitWhole(timeout?: number): Promise<number[]>;
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
  /** The management UI's ports. Default: three free ones. */
  managementPorts?: number[];
}

const SIZE = 3;

/** Whether nodes get distribution addresses of their own, and so can be cut off. */
const PARTITIONABLE = Deno.build.os === "linux";

/** Seconds after which a silent peer is taken for down, by default (RabbitMQ's is 60). */
const NET_TICKTIME = 10;

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
  const addresses = PARTITIONABLE ? distAddresses(id) : undefined;
  const cookie = crypto.randomUUID().replaceAll("-", "");
  // An epmd of the cluster's own, on 127.0.0.1 and the nodes' addresses: each node finds its
  // peers' distribution ports there.
  const epmdPort = freePort();
  const config = [
    "cluster_formation.peer_discovery_backend = classic_config",
    ...names.map((name, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${name}`),
    // A node that sees a minority of the cluster stops serving until it sees a majority again.
    "cluster_partition_handling = pause_minority",
  ];
  const managementPorts = options.managementPorts ?? names.map(() => freePort());
  const started = await Promise.allSettled(names.map((node, i) =>
    startPrivateBroker({
      node,
      cookie,
      config,
      port: options.ports?.[i] ?? freePort(),
      managementPort: managementPorts[i],
      dir: `${dir}/node${i + 1}`,
      output: options.output,
      timeout: 120_000,
      distAddress: addresses?.[i],
      epmdPort,
      sharedEpmd: true,
      epmdAddresses: addresses,
      erlArgs: [`-kernel net_ticktime ${NET_TICKTIME}`],
    })
  ));
  const nodes = started.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const stop = () =>
    tearDown(id, epmdPort, dir, () => Promise.all(nodes.map((node) => node.stop())));
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const whole = async (index: number) =>
    seesAll(await nodes[index]!.ctl("cluster_status", "--formatter", "json")) &&
    await Deno.connect({ hostname: "127.0.0.1", port: nodes[index]!.port }).then(
      (conn) => (conn.close(), true),
      () => false,
    );
  try {
    // Booting together, the nodes form the cluster; wait until each sees all three running.
    for (const [i] of nodes.entries()) await waitFor(120_000, () => whole(i));
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
    managementUrls: nodes.map((node) => node.managementUrl!),
    epmdPort,
    async partition(index: number) {
      if (!addresses) throw new Error("Cutting a node off works on Linux only");
      await cutOff(id, index);
    },
    async heal() {
      await heal(id);
    },
    async awaitWhole(timeout = 60_000) {
      const repaired: number[] = [];
      for (const [i, node] of nodes.entries()) {
        const back = await waitFor(timeout, () => whole(i)).then(() => true, () => false);
        if (back) continue;
        // The node's VM runs but its rabbit app never comes back: start it afresh, with its data.
        await node.kill();
        await node.restart();
        await waitFor(timeout, () => whole(i));
        repaired.push(i);
      }
      return repaired;
    },
    async leaderOf(queue: string) {
      // Each node lists the queues it leads (--local): a listing of the whole cluster would have
      // the other nodes send their rows to rabbitmqctl's own node, which listens on 127.0.0.1
      // only and is not reachable from the nodes' own addresses.
      const leads = await Promise.all(nodes.map(async (node) => {
        try {
          const rows = JSON.parse(
            await node.ctl("list_queues", "name", "--local", "--formatter", "json", "-t", "10"),
          ) as { name: string }[];
          return rows.some((row) => row.name === queue);
        } catch {
          return false; // that node is down, or paused
        }
      }));
      return leads.indexOf(true);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The file in a cluster's folder that holds its id. */
const MARKER = ".rabbitmq-deno-cluster";

/** The node names of cluster `id`: long ones, at their own addresses, where it can be cut. */
function nodeNames(id: string): string[] {
  const hosts = PARTITIONABLE ? distAddresses(id) : Array(SIZE).fill("localhost");
  return hosts.map((host, i) => `deno-cluster-${id}-${i + 1}@${host}`);
}

/** Whether a node's `cluster_status --formatter json` lists all three nodes running. */
function seesAll(status: string | undefined): boolean {
  return status !== undefined && JSON.parse(status).running_nodes?.length === SIZE;
}

/**
 * What stopping a cluster takes, started here or recorded: the cut healed (it is the firewall's,
 * and outlives the nodes), the nodes stopped, the cluster's own epmd ended, its folder deleted.
 */
async function tearDown(
  id: string,
  epmdPort: number,
  dir: string,
  stopNodes: () => Promise<unknown>,
) {
  if (PARTITIONABLE && Deno.uid() === 0) await heal(id).catch(() => false);
  await stopNodes();
  await killEpmd(epmdPort);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function waitFor(timeout: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() >= deadline) break;
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

const USAGE = `Usage: private_cluster.ts [--ports P1,P2,P3] [--detach]
       private_cluster.ts --partition N | --heal | --stop

Starts three private RabbitMQ nodes as one cluster and prints the URL list for AMQP_URL and
the addresses of their management UIs (each AMQP port + 10000, on 127.0.0.1).

  --ports P1,P2,P3  their AMQP ports (default 5681,5682,5683)
  --detach          leave the cluster running and exit (stop it with --stop)
  --partition N     cut node N (1-3) off from the other two, as a network split would
                    (Linux, as root; the running cluster's own firewall table, nothing else)
  --heal            remove the cut and wait until the three nodes run as one again
  --stop            stop a cluster started with --detach and delete its folders
  --help            show this text`;

async function main(args: string[]): Promise<number> {
  try {
    const flags = parseFlags(args, {
      ports: { type: "string", default: "5681,5682,5683" },
      detach: { type: "boolean", default: false },
      partition: { type: "string" },
      heal: { type: "boolean", default: false },
      stop: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (flags.stop) return await stopRecorded();
    if (flags.partition !== undefined) return await partitionRecorded(flags.partition);
    if (flags.heal) return await healRecorded();
    // A cluster already running, or anything else in the state file's place, stops us before
    // any node starts: --partition, --heal and --stop find the cluster there.
    const state = await stateFile();
    if (await Deno.lstat(state).then(() => true, () => false)) {
      throw new UntrustedFileError(
        state,
        "a running cluster is recorded there; stop it first (Ctrl+C, or deno task cluster --stop)",
      );
    }
    const ports = flags.ports.split(",").map(Number);
    if (ports.length !== SIZE || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 55535)) {
      throw new UsageError(
        `Cannot use --ports "${flags.ports}": expected three ports, P1,P2,P3, each 1-55535`,
      );
    }
    console.log(` [*] Starting three RabbitMQ nodes on ports ${ports.join(", ")} (about 30 s)`);
    const cluster = await startPrivateCluster({
      ports,
      managementPorts: ports.map((port) => port + 10_000),
      output: flags.detach ? "null" : "file",
    });
    await writeNewFile(
      state,
      JSON.stringify({ id: cluster.id, dir: cluster.dir, epmdPort: cluster.epmdPort }),
    );
    console.log(
      ` [*] One cluster of three nodes. Use it with:\n\nexport AMQP_URL=${cluster.url}\n`,
    );
    for (const [i, url] of cluster.managementUrls.entries()) {
      console.log(` [*] Node ${i + 1}: management UI at ${url} (guest / guest)`);
    }
    if (PARTITIONABLE) {
      console.log(" [*] Cut a node off with: deno task cluster --partition N (as root)");
    }
    if (flags.detach) {
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
    await Deno.remove(state).catch(() => {});
    console.log(" [*] Stopped and deleted");
    return 0;
  } catch (error) {
    return reportFailure(error, console.error);
  }
}

/** A cluster recorded in the state file, each part checked, and how to run rabbitmqctl on it. */
interface Recorded {
  path: string;
  id: string;
  dir: string;
  names: string[];
  epmdPort: number;
  /** Runs the local rabbitmqctl against node `index`; its stdout, or undefined if it failed. */
  ctl(index: number, ...args: string[]): Promise<string | undefined>;
}

/**
 * The cluster the state file records, or undefined if none is. Nothing in the file is taken
 * on trust: it must be this user's own file; it names only the cluster's id, folder and epmd
 * port; the folder must be this user's and hold the id this tool wrote there; the node names
 * follow from the id, and rabbitmqctl is the local installation's.
 */
async function recorded(): Promise<Recorded | undefined> {
  const path = await stateFile();
  const text = await readOwnFile(path);
  if (text === undefined) return undefined;
  const { id, dir, epmdPort } = parseState(path, text);
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
  if (!bin) throw new Error("No rabbitmqctl found to reach the nodes with");
  const names = nodeNames(id);
  const ctl = async (index: number, ...args: string[]) => {
    const { success, stdout } = await ctlCommand(
      bin,
      names[index]!,
      `${dir}/node${index + 1}`,
      epmdPort,
      args,
    )
      .output();
    return success ? new TextDecoder().decode(stdout) : undefined;
  };
  return { path, id, dir, names, epmdPort, ctl };
}

const NONE_RUNNING = "No cluster running (start one with: deno task cluster)";

/** `--stop`: stops the recorded cluster's nodes and deletes their folders. */
async function stopRecorded(): Promise<number> {
  const cluster = await recorded();
  if (!cluster) {
    console.log(` [*] ${NONE_RUNNING}`);
    return 0;
  }
  await tearDown(cluster.id, cluster.epmdPort, cluster.dir, async () => {
    // Given its pid file, rabbitmqctl stop waits until the VM is gone, and with it the node's
    // entry in epmd, which refuses to end while a node is registered.
    for (const i of cluster.names.keys()) {
      await cluster.ctl(i, "stop", `${cluster.dir}/node${i + 1}/rabbitmq.pid`);
    }
  });
  await Deno.remove(cluster.path);
  console.log(` [*] Stopped ${cluster.names.length} nodes and deleted their data`);
  return 0;
}

/** `--partition N`: cuts node N off from the other two. */
async function partitionRecorded(value: string): Promise<number> {
  const index = Number(value) - 1;
  if (!/^[1-3]$/.test(value)) {
    throw new UsageError(`Cannot use --partition "${value}": expected a node number, 1, 2 or 3`);
  }
  if (!PARTITIONABLE) throw new UsageError("--partition works on Linux only");
  const cluster = await recorded();
  if (!cluster) throw new Error(NONE_RUNNING);
  await cutOff(cluster.id, index);
  console.log(
    ` [*] Node ${value} is cut off from the other two. In about ${NET_TICKTIME} s each side ` +
      `notices; node ${value}, a minority, pauses (pause_minority) and closes its clients' ` +
      `connections, and quorum queues it led elect a leader among the other two.`,
  );
  console.log(" [*] Heal with: deno task cluster --heal");
  return 0;
}

/** `--heal`: removes the cut and waits until every node sees the other two running. */
async function healRecorded(): Promise<number> {
  const cluster = await recorded();
  if (!cluster) throw new Error(NONE_RUNNING);
  if (!PARTITIONABLE || !(await heal(cluster.id))) {
    console.log(" [*] No node is cut off");
    return 0;
  }
  const started = performance.now();
  console.log(" [*] Healed the cut; waiting for the three nodes to run as one (up to 60 s)");
  const deadline = performance.now() + 60_000;
  const late: number[] = [];
  for (const i of cluster.names.keys()) {
    await waitFor(
      deadline - performance.now(),
      async () => seesAll(await cluster.ctl(i, "cluster_status", "--formatter", "json")),
    ).catch(() => late.push(i));
  }
  if (late.length === 0) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(` [*] One cluster again after ${seconds} s`);
    return 0;
  }
  for (const i of late) {
    console.error(
      `Node ${i + 1} has not rejoined within 60 s (RabbitMQ 3.10 can hang after a heal; ` +
        `see docs/cluster.md): restart the cluster, or that node`,
    );
  }
  return 1;
}

/** The state file's `{ id, dir, epmdPort }`, each of the one form this tool writes. */
function parseState(path: string, text: string): { id: string; dir: string; epmdPort: number } {
  let state: { id?: unknown; dir?: unknown; epmdPort?: unknown };
  try {
    state = JSON.parse(text);
  } catch {
    throw new UntrustedFileError(path, "it is not the JSON this tool writes");
  }
  const { id, dir, epmdPort } = state;
  if (
    typeof id !== "string" || !/^[0-9a-f]{8}$/.test(id) || typeof dir !== "string" ||
    !/^\/.*\/rabbitmq-deno-cluster-[^/]+$/.test(dir) || dir.includes("/../") ||
    typeof epmdPort !== "number" || !Number.isInteger(epmdPort) || epmdPort < 1024 ||
    epmdPort > 65535
  ) {
    throw new UntrustedFileError(path, "it does not name a cluster as this tool records one");
  }
  return { id, dir, epmdPort };
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
