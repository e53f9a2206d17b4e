/**
 * A private, throwaway RabbitMQ node from the local `rabbitmq-server` installation: its own node
 * name, ports, Erlang cookie and data directory under a temporary folder, so it never touches the
 * user's broker. The tests use it for faults (restarts, alarms, TLS, `kill -9`), `deno task
 * test` / `deno task demo` when nothing answers at `AMQP_URL`, and private_cluster.ts three at a
 * time.
 *
 * The scripts in `/usr/lib/rabbitmq/bin` (Debian) are run directly rather than through
 * `/usr/sbin`'s wrappers, which would switch to the `rabbitmq` user: the node then runs as the
 * caller, with `HOME` in its folder for its own cookie, and needs no `chown`.
 *
 * @module
 */

/** TLS files for an `amqps://` listener on the private node. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Options for {@linkcode startPrivateBroker}. */
export interface PrivateBrokerOptions {
  /** Also listen for `amqps://` with these files. Default: no TLS listener. */
  tls?: TlsFiles;
  /** Extra `rabbitmq.conf` lines. Default: none. */
  config?: string[];
  /** Milliseconds to wait for the node to accept AMQP connections. Default: 60000. */
  timeout?: number;
  /** The AMQP port. Default: a free one between 20000 and 32000 ({@linkcode freePort}). */
  port?: number;
  /** The Erlang node name, `name@localhost`. Default: a new, unique one. */
  node?: string;
  /** The Erlang distribution port. Default: a free one. */
  distPort?: number;
  /**
   * The port of the epmd this node registers with (and starts, on 127.0.0.1, if none runs
   * there). Default: 4369, Erlang's, shared with any other node on this machine.
   */
  epmdPort?: number;
  /** The Erlang cookie; the nodes of a cluster share one. Default: a new, random one. */
  cookie?: string;
  /** The folder for its data, logs and config. Default: a new temporary folder. */
  dir?: string;
  /** Where the node's output goes: its folder (default), or nowhere, for a node left running. */
  output?: "file" | "null";
  /**
   * A loopback address of the node's own (`127.a.b.c`) for its Erlang distribution, in and out,
   * so that a firewall rule can cut it off from its peers (private_cluster.ts). The node name is
   * then a long one, `name@127.a.b.c`. Default: 127.0.0.1, and `name@localhost`.
   */
  distAddress?: string;
  /** The addresses the epmd it starts listens on, besides 127.0.0.1. Default: none. */
  epmdAddresses?: string[];
  /**
   * Leave the epmd at `epmdPort` running when the node stops, for the nodes that share it
   * (private_cluster.ts ends it after the last). Default: end it with the node.
   */
  sharedEpmd?: boolean;
  /** Erlang VM flags to add, such as `-kernel net_ticktime 10`. Default: none. */
  erlArgs?: string[];
  /**
   * Enable the management plugin (HTTP API and UI) on 127.0.0.1 at this port. Default: off, as
   * it adds seconds to every start.
   */
  managementPort?: number;
}

/** A running private node. Dispose of it (`await using`) to stop it and delete its folder. */
export interface PrivateBroker extends AsyncDisposable {
  /** `amqp://guest:guest@127.0.0.1:PORT`. */
  url: string;
  /** `amqps://guest:guest@localhost:PORT` when started with `tls`. */
  tlsUrl?: string;
  /** The AMQP port. */
  port: number;
  /** The Erlang node name, e.g. `deno-test-1a2b3c4d@localhost`. */
  node: string;
  /** `http://127.0.0.1:PORT/`, the management UI and API, when started with `managementPort`. */
  managementUrl?: string;
  /** The temporary folder that holds its data, logs and config (and its Erlang cookie). */
  dir: string;
  /** The folder of `rabbitmq-server` and `rabbitmqctl` it was started from. */
  bin: string;
  /** Runs `rabbitmqctl -n NODE ...args` and returns its stdout; throws with stderr on failure. */
  ctl(...args: string[]): Promise<string>;
  /**
   * Adds a user with every permission on `/`; the password goes to rabbitmqctl on its stdin,
   * never in its argv, where any local user could read it.
   */
  addUser(name: string, password: string): Promise<void>;
  /** The pid of the node's Erlang VM (beam.smp), from its pid file. */
  pid(): number;
  /** Kills the node's Erlang VM with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
  /**
   * Stops the node as an upgrade does (`rabbitmqctl shutdown`: connections closed, queues handed
   * over), keeping its data, and waits until its VM is gone.
   */
  shutDown(): Promise<void>;
  /** Starts the node again after `kill()` or `shutDown()`, with its data, and waits until it answers. */
  restart(): Promise<void>;
  /** Stops the node and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Where rabbitmq-server is looked for, in order (the tasks' --allow-run names each). */
export const RABBITMQ_BIN_DIRS = [
  "/usr/lib/rabbitmq/bin",
  "/usr/local/sbin",
  "/usr/sbin",
  "/opt/homebrew/sbin",
];

/** Where `rabbitmq-server` lives, or `undefined` if it is not installed. */
export function findRabbitmqBin(): string | undefined {
  for (const dir of RABBITMQ_BIN_DIRS) {
    try {
      if (Deno.statSync(`${dir}/rabbitmq-server`).isFile) return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A free TCP port outside Linux's ephemeral range (32768-60999): Erlang's own outgoing
 * connections take ephemeral ports, and one landing on the node's listener port makes its
 * (re)start fail with eaddrinuse.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // taken, try another
    }
  }
  throw new Error("Cannot find a free port between 20000 and 32000");
}

/** Erlang's flags to listen for (and connect to) peers from `address` only. */
function distOn(address: string, connectFrom = false): string {
  const tuple = `{${address.split(".").join(",")}}`;
  return `-kernel inet_dist_use_interface ${tuple}` +
    (connectFrom ? ` -kernel inet_dist_connect_options [{ip,${tuple}}]` : "");
}

/**
 * The environment rabbitmqctl needs to reach a private node whose folder (and Erlang cookie) is
 * `home`: the host's rabbitmq-env.conf left out, and the CLI's own distribution listener, and
 * any epmd it starts, on loopback. `longNames` for a node named `name@127.a.b.c`.
 */
export function ctlEnv(
  home: string,
  epmdPort?: number,
  { longNames = false } = {},
): Record<string, string> {
  return {
    HOME: home,
    RABBITMQ_CONF_ENV_FILE: "/dev/null",
    RABBITMQ_CTL_ERL_ARGS: distOn("127.0.0.1"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ...(epmdPort ? { ERL_EPMD_PORT: String(epmdPort) } : {}),
    ...(longNames ? { RABBITMQ_USE_LONGNAME: "true" } : {}),
  };
}

/**
 * `rabbitmqctl ARGS` from `bin` against the private node `node` whose folder is `home`, with
 * {@linkcode ctlEnv}; a node named at an address (`name@127.a.b.c`) is reached by its long name.
 */
export function ctlCommand(
  bin: string,
  node: string,
  home: string,
  epmdPort: number | undefined,
  args: string[],
  stdin: "null" | "piped" = "null",
): Deno.Command {
  const longNames = /@\d+\.\d+\.\d+\.\d+$/.test(node);
  return new Deno.Command(`${bin}/rabbitmqctl`, {
    args: ["-n", node, ...(longNames ? ["--longnames"] : []), ...args],
    env: ctlEnv(home, epmdPort, { longNames }),
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Resolves once something accepts TCP on `port`, or rejects after `timeout` ms. */
async function waitForPort(port: number, timeout: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("the node exited during start-up");
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`nothing listened on port ${port} within ${timeout / 1000} s`);
}

/**
 * Starts a private RabbitMQ node and resolves once it accepts AMQP connections.
 *
 * @example
 * ```ts ignore
 * await using broker = await startPrivateBroker();
 * await broker.ctl("stop_app");
 * await broker.ctl("start_app");
 * ```
 */
export async function startPrivateBroker(
  options: PrivateBrokerOptions = {},
): Promise<PrivateBroker> {
  const bin = findRabbitmqBin();
  if (!bin) {
    throw new Error(
      "No rabbitmq-server found: install it (Debian: apt-get install rabbitmq-server) or set " +
        "AMQP_URL to a running broker",
    );
  }
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "rabbitmq-deno-" });
  const host = options.distAddress ?? "localhost";
  const node = options.node ?? `deno-test-${crypto.randomUUID().slice(0, 8)}@${host}`;
  const longNames = options.distAddress !== undefined;
  const port = options.port ?? freePort();
  const tlsPort = options.tls ? freePort() : undefined;
  const config = [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    "loopback_users = none",
    ...(options.tls
      ? [
        `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${options.tls.caFile}`,
        `ssl_options.certfile = ${options.tls.certFile}`,
        `ssl_options.keyfile = ${options.tls.keyFile}`,
        "ssl_options.verify = verify_none",
        "ssl_options.fail_if_no_peer_cert = false",
      ]
      : []),
    ...(options.managementPort
      ? ["management.tcp.ip = 127.0.0.1", `management.tcp.port = ${options.managementPort}`]
      : []),
    ...(options.config ?? []),
  ];
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/rabbitmq.conf`, config.join("\n") + "\n");
  await Deno.writeTextFile(
    `${dir}/enabled_plugins`,
    options.managementPort ? "[rabbitmq_management].\n" : "[].\n",
  );
  // Erlang reads the cookie from HOME and insists that only its owner may read it.
  const cookie = `${dir}/.erlang.cookie`;
  await Deno.remove(cookie).catch(() => {});
  await Deno.writeTextFile(cookie, options.cookie ?? crypto.randomUUID().replaceAll("-", ""), {
    mode: 0o400,
  });
  const env = {
    ...ctlEnv(dir, options.epmdPort, { longNames }),
    // The epmd it starts, on loopback and at the node addresses it is told of.
    ERL_EPMD_ADDRESS: ["127.0.0.1", ...(options.epmdAddresses ?? [])].join(","),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(options.distPort ?? freePort()),
    RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
    RABBITMQ_LOG_BASE: `${dir}/log`,
    RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq.conf`,
    RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/enabled_plugins`,
    RABBITMQ_PID_FILE: `${dir}/rabbitmq.pid`,
    // Erlang distribution on loopback only: the host's rabbitmq-env.conf (which may say so)
    // is not read, and by default a node listens for its peers on every interface.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: [
      distOn(options.distAddress ?? "127.0.0.1", longNames),
      ...(options.erlArgs ?? []),
    ].join(" "),
  };

  let exited = false;
  let status: Promise<unknown> = Promise.resolve();
  const spawn = async () => {
    exited = false;
    const toFile = (options.output ?? "file") === "file";
    const server = new Deno.Command(`${bin}/rabbitmq-server`, {
      env,
      cwd: dir,
      stdin: "null",
      stdout: toFile ? "piped" : "null",
      stderr: toFile ? "piped" : "null",
    }).spawn();
    if (toFile) {
      // Keep the node's output in its folder (and out of the tests' output).
      const log = await Deno.open(`${dir}/server.log`, { write: true, create: true, append: true });
      server.stdout!.pipeTo(log.writable, { preventClose: true }).catch(() => {});
      server.stderr!.pipeTo(log.writable).catch(() => {});
    } else {
      server.unref();
    }
    status = server.status.then((s) => (exited = true, s));
  };
  const ready = async () => {
    try {
      await waitForPort(port, options.timeout ?? 60_000, () => exited);
      if (tlsPort) await waitForPort(tlsPort, 10_000, () => exited);
      if (options.managementPort) await waitForPort(options.managementPort, 30_000, () => exited);
    } catch (error) {
      const tail = await Deno.readTextFile(`${dir}/server.log`).catch(() => "");
      if (!exited) killByPidFile(`${dir}/rabbitmq.pid`);
      await stop();
      throw new Error(
        `The private RabbitMQ node did not start (${(error as Error).message}): ` +
          tail.trim().split("\n").slice(-1)[0],
      );
    }
  };

  const ctlWith = async (input: string | undefined, args: string[]) => {
    const stdin = input === undefined ? "null" : "piped";
    const child = ctlCommand(bin, node, dir, options.epmdPort, args, stdin).spawn();
    if (input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(`${input}\n`));
      await writer.close();
    }
    const { success, stdout, stderr } = await child.output();
    const text = new TextDecoder();
    if (!success) {
      throw new Error(`rabbitmqctl ${args.join(" ")} failed: ${text.decode(stderr).trim()}`);
    }
    return text.decode(stdout);
  };
  const ctl = (...args: string[]) => ctlWith(undefined, args);
  const addUser = async (name: string, password: string) => {
    await ctlWith(password, ["add_user", name]);
    await ctl("set_permissions", "-p", "/", name, ".*", ".*", ".*");
  };

  /** `rabbitmqctl command`, then waits for the VM to go: killed if it takes over `graceMs`. */
  const halt = async (command: string, graceMs: number) => {
    if (exited) return;
    await ctl(command).catch(() => {});
    const timer = setTimeout(() => killByPidFile(`${dir}/rabbitmq.pid`), graceMs);
    await status;
    clearTimeout(timer);
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt("stop", 15_000);
    // The epmd this node started on a port of its own outlives it: end it too.
    if (options.epmdPort && !options.sharedEpmd) await killEpmd(options.epmdPort);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  await spawn();
  await ready();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    tlsUrl: tlsPort ? `amqps://guest:guest@localhost:${tlsPort}` : undefined,
    port,
    node,
    managementUrl: options.managementPort
      ? `http://127.0.0.1:${options.managementPort}/`
      : undefined,
    dir,
    bin,
    ctl,
    addUser,
    pid: () => Number(Deno.readTextFileSync(`${dir}/rabbitmq.pid`).trim()),
    async kill() {
      killByPidFile(`${dir}/rabbitmq.pid`);
      await status;
    },
    shutDown: () => halt("shutdown", 30_000),
    async restart() {
      await spawn();
      await ready();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Ends the epmd listening at `port` (on loopback). Needs `--allow-run=epmd`. */
export async function killEpmd(port: number): Promise<void> {
  await new Deno.Command("epmd", {
    args: ["-port", String(port), "-kill"],
    env: { ERL_EPMD_ADDRESS: "127.0.0.1" },
    stdout: "null",
    stderr: "null",
  }).output().catch(() => {});
}

function killByPidFile(pidFile: string): void {
  try {
    const pid = Number(Deno.readTextFileSync(pidFile).trim());
    if (pid > 0) Deno.kill(pid, "SIGKILL");
  } catch {
    // no pid file or already gone
  }
}
