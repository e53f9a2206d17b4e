/**
 * Configuration from the environment, read strictly (a variable the script may not read is an
 * error that names it and the permission, never silently replaced by a default), and the
 * connect options a script builds from it and its `--url` and `--ca` flags.
 *
 * @module
 */

import type { ConnectOptions } from "../amqp/connect.ts";
import { DEFAULT_URL } from "../amqp/urls.ts";
import { UsageError } from "./exit.ts";
import { readInputFile } from "../amqp/files.ts";

/**
 * The environment variables the scripts read, all matched by `--allow-env="AMQP_*"`.
 *
 * @example
 * ```ts
 * import { ENV_VARS } from "./env.ts";
 *
 * console.log(ENV_VARS.join(", ")); // AMQP_URL, AMQP_PASSWORD, AMQP_PASSWORD_FILE, AMQP_CA_FILE, AMQP_MANAGEMENT_URL
 * ```
 */
export const ENV_VARS = [
  "AMQP_URL",
  "AMQP_PASSWORD",
  "AMQP_PASSWORD_FILE",
  "AMQP_CA_FILE",
  "AMQP_MANAGEMENT_URL",
] as const;

/**
 * The value of environment variable `name`, or `undefined` when it is unset or empty. Without
 * the permission to read it (no `--allow-env`, or a prompt answered no), it throws a
 * {@linkcode UsageError} naming the variable and the flag: a default in its place could send
 * the script to the wrong broker without a word.
 *
 * @example
 * ```ts
 * import { envVar } from "./env.ts";
 *
 * const url = envVar("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
 * ```
 */
export function envVar(name: (typeof ENV_VARS)[number]): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(
        `Cannot read the environment variable ${name}: not allowed, run with ` +
          `--allow-env="AMQP_*" (the scripts read ${ENV_VARS.join(", ")})`,
      );
    }
    throw error;
  }
}

/**
 * Chooses the broker URL: the explicit one (`--url`), else `AMQP_URL`, else
 * {@linkcode DEFAULT_URL}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { resolveUrl } from "./env.ts";
 *
 * deepEqual(resolveUrl("amqp://rabbit:5672"), "amqp://rabbit:5672");
 * ```
 */
export function resolveUrl(url?: string): string {
  return url || envVar("AMQP_URL") || DEFAULT_URL;
}

/**
 * The connect options of a script: its `--url` (else `AMQP_URL`), its `--ca` (else
 * `AMQP_CA_FILE`), and for a URL without a password, `AMQP_PASSWORD_FILE`'s contents or
 * `AMQP_PASSWORD`, read only then; the variables are read as the connect needs them. `name`
 * names the connection in the management UI.
 *
 * @example
 * ```ts ignore
 * const options = brokerOptions({ url: flags.url, ca: flags.ca }, "producer.ts");
 * const connection = await connect(options);
 * ```
 */
export function brokerOptions(
  flags: { url?: string | undefined; ca?: string | undefined },
  name?: string,
): ConnectOptions {
  return {
    url: resolveUrl(flags.url),
    caFile: flags.ca ?? (() => envVar("AMQP_CA_FILE")),
    password: passwordFromEnv,
    name,
  };
}

/**
 * `AMQP_PASSWORD_FILE`'s contents (less a final newline), else `AMQP_PASSWORD`.
 *
 * @example
 * ```ts ignore
 * import { passwordFromEnv } from "./env.ts";
 *
 * const password = await passwordFromEnv() ?? "guest";
 * ```
 */
export async function passwordFromEnv(): Promise<string | undefined> {
  const file = envVar("AMQP_PASSWORD_FILE");
  if (!file) return envVar("AMQP_PASSWORD");
  const text = new TextDecoder().decode(await readInputFile("AMQP_PASSWORD_FILE", file));
  return text.replace(/\r?\n$/, "");
}
