/**
 * What can go wrong talking to a broker, as errors that carry their data (the reply code, the
 * message's index, the exchange, why a connect failed) so that the layer that talks to a person
 * can word them; and the one function that reads a broker's reply code.
 *
 * @module
 */

/**
 * A broker or network failure, with a one-line, password-free message.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { BrokerError } from "./errors.ts";
 *
 * ok(new BrokerError("The broker went away") instanceof Error);
 * ```
 */
export class BrokerError extends Error {
  /**
   * Creates the error.
   * @param message The line to show.
   * @param options `cause` keeps the original error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
  }
}

/**
 * Configuration that cannot work: a malformed broker URL, an unknown URL parameter, a setting
 * out of range, a file that cannot be read. Nothing was sent anywhere.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { ConfigError, connect } from "../mod.ts";
 *
 * await rejects(connect({ url: "amqp://h:5672/?bogus=1" }), ConfigError);
 * ```
 */
export class ConfigError extends Error {
  /**
   * Creates the error.
   * @param message One line naming the offending value and what is expected.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Why a connect failed, as {@linkcode ConnectError} tells it. */
export type ConnectFailure =
  | "refused"
  | "timeout"
  | "access-refused"
  | "vhost"
  | "unknown-host"
  | "closed-in-handshake"
  | "not-tls"
  | "tls"
  | "protocol"
  | "other";

/**
 * A connect that failed: which broker (its masked URL), and why.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { ConnectError, connect } from "../mod.ts";
 *
 * // Port 1 refuses connections.
 * await rejects(connect({ url: "amqp://guest:secret@127.0.0.1:1" }), (e) => e instanceof ConnectError && e.reason === "refused");
 * ```
 */
export class ConnectError extends BrokerError {
  /**
   * Creates the error.
   * @param url The broker, masked; with a list, every broker tried, comma-separated.
   * @param reason Why, in one word; "other" when the failures of a list differ.
   * @param message The line to show.
   * @param options `cause` keeps the original error.
   */
  constructor(
    readonly url: string,
    readonly reason: ConnectFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * The broker refused a message with basic.nack: a queue full with `x-overflow` set to
 * `reject-publish`, a quorum queue without a leader (during an election), or an internal error.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { PublishNackedError } from "./errors.ts";
 *
 * deepEqual(new PublishNackedError(7).index, 7);
 * ```
 */
export class PublishNackedError extends BrokerError {
  /**
   * Creates the error.
   * @param index The refused message's index in the run.
   * @param options `cause` keeps the client's error.
   */
  constructor(readonly index: number, options?: ErrorOptions) {
    super(
      `The broker did not accept message ${index} (basic.nack: a full queue with ` +
        `reject-publish, a quorum queue without a leader, or an internal error)`,
      options,
    );
    this.name = "PublishNackedError";
  }
}

/**
 * The broker refused a message as larger than its `max_message_size` (406, which closes the
 * channel).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { MessageTooLargeError } from "./errors.ts";
 *
 * deepEqual(new MessageTooLargeError(0, 200, 100).max, 100);
 * ```
 */
export class MessageTooLargeError extends BrokerError {
  /**
   * Creates the error.
   * @param index The message's index in the run.
   * @param size Its size in bytes.
   * @param max The broker's limit.
   * @param options `cause` keeps the client's error.
   */
  constructor(
    readonly index: number,
    readonly size: number,
    readonly max: number,
    options?: ErrorOptions,
  ) {
    super(
      `The broker refused message ${index}: ${size} bytes is over its maximum message size ` +
        `of ${max} (406). Send smaller messages or raise max_message_size`,
      options,
    );
    this.name = "MessageTooLargeError";
  }
}

/**
 * An exchange exists with another type or other settings than a declaration asked for (406).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { ExchangeConflictError } from "./errors.ts";
 *
 * deepEqual(new ExchangeConflictError("logs").exchange, "logs");
 * ```
 */
export class ExchangeConflictError extends BrokerError {
  /**
   * Creates the error.
   * @param exchange The exchange's name.
   * @param options `cause` keeps the client's error.
   */
  constructor(readonly exchange: string, options?: ErrorOptions) {
    super(`Exchange "${exchange}" already exists with another type or settings (406)`, options);
    this.name = "ExchangeConflictError";
  }
}

/**
 * The broker's reply code in an error from the client library (`channel 1 closed: NOT_FOUND -
 * no queue 'x' (404)`), or `undefined` when it carries none: the one place where a broker
 * error's text is read.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { replyCode } from "./errors.ts";
 *
 * deepEqual(replyCode(new Error("channel 1 closed: PRECONDITION_FAILED - inequivalent arg (406)")), 406);
 * deepEqual(replyCode(new Error("socket closed")), undefined);
 * ```
 */
export function replyCode(error: unknown): number | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const code = text.match(/\((\d{3})\)$/)?.[1];
  return code === undefined ? undefined : Number(code);
}

/**
 * Whether a broker error is 406 PRECONDITION_FAILED: a declaration that differs from what
 * exists, or a message over the size limit.
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
  return replyCode(error) === 406;
}
