/**
 * Reading a file the user named (a flag or an environment variable), with a one-line error.
 *
 * @module
 */

import { UsageError } from "./exit.ts";

/**
 * Reads a file named by a flag or an environment variable. A missing or forbidden file is a
 * {@linkcode UsageError} that names it and the fix (`--allow-read=PATH`).
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { readInputFile } from "./files.ts";
 * import { UsageError } from "./exit.ts";
 *
 * await rejects(readInputFile("--body-file", "/no/such/file"), UsageError);
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
    throw new UsageError(`Cannot read ${what} "${path}": ${reason}`);
  }
}
