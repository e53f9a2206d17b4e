/**
 * How a script ends when something fails: one line on stderr and an exit code, 1 for a
 * runtime or broker failure, 2 for a usage error. The AMQP layer's errors carry data; here they
 * are worded for a person at a command line, with the flags and variables that fix them.
 *
 * @module
 */

import { ConfigError, ConnectError, ExchangeConflictError } from "../amqp/errors.ts";
import { BrokerError, replyCode } from "../amqp/errors.ts";
import { printable } from "./text.ts";

/**
 * Bad command-line input or configuration: exit code 2.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { failure, UsageError } from "./exit.ts";
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

/** What to do, after what a failed connect says, at a command line. */
const CONNECT_HINTS: Partial<Record<ConnectError["reason"], string>> = {
  refused: `. Is RabbitMQ running? Start one with "docker compose up -d" or point AMQP_URL at a` +
    " broker",
  "access-refused": ". Check the user name and password (in the URL, AMQP_PASSWORD or" +
    " AMQP_PASSWORD_FILE)",
};

/**
 * Turns a thrown value into the line a script shows and the exit code it returns: 2 for a
 * {@linkcode UsageError} or a bad configuration (the line points to `--help`), 1 for anything
 * else. The line is the first line of the message, so no stack trace reaches the user, made
 * {@linkcode printable}: a broker's reply text or a queue name cannot drive the terminal.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { failure, UsageError } from "./exit.ts";
 *
 * deepEqual(failure(new UsageError("Unknown flag --x")).exitCode, 2);
 * deepEqual(failure(new Error("boom\n    at x.ts:1")).line, "Error: boom");
 * ```
 */
export function failure(error: unknown): { line: string; exitCode: number } {
  const text = error instanceof Error ? error.message : String(error);
  let line = printable(text.split("\n")[0]!.trim() || String(error));
  if (error instanceof UsageError || error instanceof ConfigError) {
    return { line: `${line} (see --help)`, exitCode: 2 };
  }
  if (error instanceof ConnectError) line += CONNECT_HINTS[error.reason] ?? "";
  // 320 is what a node says as it stops serving: shut down, or paused when it finds itself on
  // the minority side of a split (cluster_partition_handling = pause_minority).
  if (replyCode(error) === 320) {
    line += ": the node shut down, or paused as the minority side of a network split";
  }
  if (error instanceof ExchangeConflictError) {
    line += "; use another --exchange, or delete it from the management UI";
  }
  if (error instanceof BrokerError) return { line, exitCode: 1 };
  return { line: `Error: ${line}`, exitCode: 1 };
}

/**
 * Reports a thrown value as one line through `write` (scripts pass `console.error`) and
 * returns the exit code from {@linkcode failure}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { reportFailure, UsageError } from "./exit.ts";
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
