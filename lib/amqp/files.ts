/**
 * Reading a file someone named (a CA file, a password file, a body to send), with a one-line
 * error.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/**
 * Reads the file at `path`; `what` says what it is for (`"CA file"`, `"--body-file"`). A missing
 * or forbidden file is a {@linkcode ConfigError} that names it and the fix
 * (`--allow-read=PATH`).
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { readInputFile } from "./files.ts";
 * import { ConfigError } from "./errors.ts";
 *
 * await rejects(readInputFile("--body-file", "/no/such/file"), ConfigError);
 * ```
 */
export async function readInputFile(what: string, path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ? `not allowed, run with --allow-read=${path}`
      : (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new ConfigError(`Cannot read ${what} "${path}": ${reason}`);
  }
}
