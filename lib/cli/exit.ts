/**
 * The two kinds of failure the scripts tell apart (the user's input, and the broker or network),
 * and the exit codes they map to: 0 success, 1 runtime or broker failure, 2 usage error.
 *
 * @module
 */

import { printable } from "./body.ts";

/**
 * Bad command-line input or configuration: exit code 2.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { failure, UsageError } from "./mod.ts";
 *
 * ok(failure(new UsageError('Cannot parse --count "x"')).exitCode === 2);
 * ```
 */
export class UsageError extends Error {
  /**
   * Creates the error.
   * @param message One line naming the offending flag or value.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A broker or network failure with a one-line, password-free message that says what to do.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { BrokerError, connect } from "./mod.ts";
 *
 * // Port 1 refuses connections: the error names the masked URL and a hint.
 * await rejects(connect({ url: "amqp://guest:secret@127.0.0.1:1" }), BrokerError);
 * ```
 */
export class BrokerError extends Error {
  /**
   * Creates the error.
   * @param message The line to show the user.
   * @param options `cause` keeps the original error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
  }
}

/**
 * True when the broker refused a declaration because the queue or exchange already exists with
 * other settings (406 PRECONDITION_FAILED, which closes the channel).
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isPreconditionFailed } from "./errors.ts";
 *
 * ok(isPreconditionFailed(new Error("channel 1 closed: PRECONDITION_FAILED - inequivalent arg (406)")));
 * ```
 */
export function isPreconditionFailed(error: unknown): boolean {
  return /PRECONDITION_FAILED|\(406\)/.test(error instanceof Error ? error.message : String(error));
}

/**
 * Turns a thrown value into what the script shows and the exit code it returns: 2 for a
 * {@linkcode UsageError} (its line points to `--help`), 1 for anything else. The line is the
 * first line of the message, so no stack trace ever reaches the user, made
 * {@linkcode printable}: a broker's reply text or a queue name cannot drive the terminal.
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
  const line = printable(text.split("\n")[0]!.trim() || String(error));
  if (error instanceof UsageError) return { line: `${line} (see --help)`, exitCode: 2 };
  if (error instanceof BrokerError) return { line, exitCode: 1 };
  return { line: `Error: ${line}`, exitCode: 1 };
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
