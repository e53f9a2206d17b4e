// Running a script of this repository as a user would: `deno run` with the narrow permissions
// the README grants it (the broker's address, the AMQP_* variables, any files it must read),
// never -A. The demo, the benches and the tests all start scripts through this one function.

import { brokerAddresses } from "../lib/mod.ts";

/** The repository's root folder, ending in "/". */
export const ROOT = new URL("..", import.meta.url).pathname;

/** What a script may reach and read beyond its broker. */
export interface ScriptPermissions {
  /** The broker URL (or list) whose addresses it may reach; or an `--allow-net` value. */
  url?: string;
  /** `--allow-net` value instead of the URL's addresses, `true` for any host. */
  allowNet?: string | true;
  /** `--allow-read` value. Default: none. */
  allowRead?: string;
  /** `--allow-env` value, `false` for none. Default: `AMQP_*`, as the README grants. */
  allowEnv?: string | false;
  /**
   * The Deno to run: `"deno"` by name (what a task's `--allow-run=deno` allows), or a path.
   * Default: this process's own, `Deno.execPath()`.
   */
  deno?: string;
}

/** The command line that runs `script` (a path from the repository's root) with `args`. */
export function scriptArgv(
  script: string,
  args: readonly string[],
  permissions: ScriptPermissions = {},
): string[] {
  const { url, allowNet, allowRead, allowEnv = "AMQP_*" } = permissions;
  const net = allowNet === true
    ? "--allow-net"
    : `--allow-net=${allowNet ?? brokerAddresses(url ?? "amqp://127.0.0.1:5672").join(",")}`;
  return [
    permissions.deno ?? Deno.execPath(),
    "run",
    net,
    ...(allowEnv === false ? [] : [`--allow-env=${allowEnv}`]),
    ...(allowRead ? [`--allow-read=${allowRead}`] : []),
    `${ROOT}${script}`,
    ...args,
  ];
}
