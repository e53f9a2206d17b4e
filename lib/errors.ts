/**
 * The two kinds of failure the scripts tell apart: the user's input, and the broker or network.
 *
 * @module
 */

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
