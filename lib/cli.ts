/**
 * What every script needs around the AMQP work: flags, shutdown on Ctrl+C or SIGTERM, an idle
 * timer, and exit codes (0 success, 1 runtime or broker failure, 2 usage error). Nothing here
 * prints or exits; the scripts do.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { BrokerError, UsageError } from "./errors.ts";

/**
 * Parses `args` strictly with `node:util`'s `parseArgs`: unknown flags, missing values and
 * stray arguments become a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { parseFlags, UsageError } from "./mod.ts";
 *
 * const flags = parseFlags(["--queue", "jobs"], { queue: { type: "string", default: "hello" } });
 * deepEqual(flags.queue, "jobs");
 * throws(() => parseFlags(["--nope"], {}), UsageError);
 * ```
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageErrorFrom(error);
  }
}

/** parseArgs' message, first sentence only, in this project's words. */
function usageErrorFrom(error: unknown): UsageError {
  const text = error instanceof Error ? error.message : String(error);
  return new UsageError(text.split(". ")[0]!.replace(/^Unknown option/, "Unknown flag"));
}

/**
 * Like {@linkcode parseFlags}, for commands that also take arguments: returns the flags and the
 * positional arguments (`emit_log_direct.ts error "Disk full"`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parseCommandLine } from "./mod.ts";
 *
 * const { flags, positionals } = parseCommandLine(["--url", "amqp://x", "error", "Disk full"], {
 *   url: { type: "string" },
 * });
 * deepEqual([flags.url, positionals], ["amqp://x", ["error", "Disk full"]]);
 * ```
 */
export function parseCommandLine<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): {
  flags: ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"];
  positionals: string[];
} {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    return { flags: values, positionals };
  } catch (error) {
    throw usageErrorFrom(error);
  }
}

/**
 * Reads a flag's value as a whole number of at least `min` (default 1).
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { integerFlag, UsageError } from "./mod.ts";
 *
 * deepEqual(integerFlag("count", "100"), 100);
 * throws(() => integerFlag("count", "abc"), UsageError);
 * deepEqual(integerFlag("max", undefined), undefined);
 * ```
 */
export function integerFlag(name: string, value: string, min?: number): number;
/** Reads an optional flag: `undefined` stays `undefined`. */
export function integerFlag(
  name: string,
  value: string | undefined,
  min?: number,
): number | undefined;
export function integerFlag(
  name: string,
  value: string | undefined,
  min = 1,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    const expected = min === 0 ? "a whole number, 0 or more" : `a whole number, ${min} or more`;
    throw new UsageError(`Cannot parse --${name} "${value}": expected ${expected}`);
  }
  return number;
}

/**
 * Reads a flag's value as a number of seconds greater than 0, returned in milliseconds.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { secondsFlag } from "./cli.ts";
 *
 * deepEqual(secondsFlag("idle", "1.5"), 1500);
 * ```
 */
export function secondsFlag(name: string, value: string): number;
/** Reads an optional flag: `undefined` stays `undefined`. */
export function secondsFlag(name: string, value: string | undefined): number | undefined;
export function secondsFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`Cannot parse --${name} "${value}": expected a number of seconds above 0`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Options for {@linkcode onShutdownSignal}.
 *
 * @example
 * ```ts
 * import type { ShutdownOptions } from "./mod.ts";
 *
 * const options: ShutdownOptions = { onRepeat: () => Deno.exit(130) };
 * ```
 */
export interface ShutdownOptions {
  /** Called on a second signal, when the user no longer wants to wait. Default: none. */
  onRepeat?: () => void;
}

/**
 * Listens for SIGINT (Ctrl+C) and SIGTERM. The first aborts the returned controller's signal so
 * the script can stop cleanly; any further one calls `onRepeat` (typically an immediate exit).
 * Dispose of the result (`using`) to remove the listeners.
 *
 * @example
 * ```ts
 * import { onShutdownSignal } from "./cli.ts";
 *
 * using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
 * console.log(shutdown.signal.aborted); // false until Ctrl+C
 * ```
 */
export function onShutdownSignal(
  options: ShutdownOptions = {},
): { signal: AbortSignal } & Disposable {
  const controller = new AbortController();
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handler = () => {
    if (controller.signal.aborted) options.onRepeat?.();
    else controller.abort(new DOMException("Stopped by a signal", "AbortError"));
  };
  for (const name of names) Deno.addSignalListener(name, handler);
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      for (const name of names) Deno.removeSignalListener(name, handler);
    },
  };
}

/**
 * An abort signal that fires after `ms` milliseconds without a call to `reset()`: the
 * `--idle` timer, restarted on each message. `clear()` stops it for good.
 *
 * @example
 * ```ts
 * import { idleTimer } from "./cli.ts";
 *
 * const idle = idleTimer(50);
 * idle.reset(); // a message arrived: another 50 ms
 * await new Promise((resolve) => idle.signal.addEventListener("abort", resolve));
 * ```
 */
export function idleTimer(
  ms: number,
): { signal: AbortSignal; reset(): void; clear(): void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reset = () => {
    clearTimeout(timer);
    if (!controller.signal.aborted) {
      timer = setTimeout(
        () => controller.abort(new DOMException(`Idle for ${ms / 1000} s`, "TimeoutError")),
        ms,
      );
    }
  };
  reset();
  return { signal: controller.signal, reset, clear: () => clearTimeout(timer) };
}

/**
 * Turns a thrown value into what the script shows and the exit code it returns: 2 for a
 * {@linkcode UsageError} (its line points to `--help`), 1 for anything else. The line is the first line of the message, so
 * no stack trace ever reaches the user.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { failure, UsageError } from "./mod.ts";
 *
 * deepEqual(failure(new UsageError("Unknown flag --x")).exitCode, 2);
 * deepEqual(failure(new Error("boom\n    at x.ts:1")).line, "Error: boom");
 * ```
 */
export function failure(error: unknown): { line: string; exitCode: number } {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0]!.trim() || String(error);
  if (error instanceof UsageError) return { line: `${line} (see --help)`, exitCode: 2 };
  if (error instanceof BrokerError) return { line, exitCode: 1 };
  return { line: `Error: ${line}`, exitCode: 1 };
}

/**
 * Reads a file named by a flag or an environment variable. A missing or forbidden file is a
 * {@linkcode UsageError} that names it and the fix (`--allow-read=PATH`).
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { readInputFile, UsageError } from "./mod.ts";
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

/**
 * The end of every script's `main`: reports a thrown value as one line through `write` (the
 * script passes `console.error`) and returns the exit code from {@linkcode failure}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { reportFailure, UsageError } from "./mod.ts";
 *
 * const lines: string[] = [];
 * deepEqual(reportFailure(new UsageError("Unknown flag '--x'"), (l) => lines.push(l)), 2);
 * deepEqual(lines, ["Unknown flag '--x' (see --help)"]);
 * ```
 */
export function reportFailure(error: unknown, write: (line: string) => void): number {
  const { line, exitCode } = failure(error);
  write(line);
  return exitCode;
}
