/**
 * Configuration from the environment, read strictly: a variable the script may not read is an
 * error that names it and the permission, never silently replaced by a default.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/**
 * The environment variables the scripts read, all matched by `--allow-env="AMQP_*"`.
 *
 * @example
 * ```ts
 * import { ENV_VARS } from "./mod.ts";
 *
 * console.log(ENV_VARS.join(", ")); // AMQP_URL, AMQP_PASSWORD, AMQP_PASSWORD_FILE, AMQP_CA_FILE
 * ```
 */
export const ENV_VARS = [
  "AMQP_URL",
  "AMQP_PASSWORD",
  "AMQP_PASSWORD_FILE",
  "AMQP_CA_FILE",
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
