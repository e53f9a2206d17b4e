/**
 * The two kinds of failure the scripts tell apart: the user's input, and the broker or network.
 *
 * @module
 */

/** Bad command-line input or configuration: exit code 2. */
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

/** A broker or network failure with a one-line, password-free message that says what to do. */
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
