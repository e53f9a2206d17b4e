/**
 * Command-line flags, parsed strictly: an unknown flag, a missing value or a value of the wrong
 * shape is a {@linkcode UsageError} (exit code 2) that names the flag and what it expects.
 *
 * @module
 */

// Types only: node:util itself is not loaded (it costs a script's start-up several ms).
import type { parseArgs, ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "./exit.ts";
import type { DeclareQueueOptions, QueueType } from "../amqp/queues.ts";
import type { StreamOffset } from "../amqp/streams.ts";

/**
 * The values of flags declared as `options`, as `node:util`'s `parseArgs` types them.
 *
 * @example
 * ```ts
 * import type { FlagValues } from "./flags.ts";
 *
 * const values: FlagValues<{ count: { type: "string" } }> = { count: "5" };
 * ```
 */
export type FlagValues<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: T; strict: true }>
>["values"];

/**
 * Parses `args` strictly, with options declared as `node:util`'s `parseArgs` declares them:
 * unknown flags, missing values and stray arguments become a {@linkcode UsageError}
 * ({@linkcode parseCommandLine} says how values are read).
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { parseFlags } from "./flags.ts";
 * import { UsageError } from "./exit.ts";
 *
 * const flags = parseFlags(["--queue", "jobs"], { queue: { type: "string", default: "hello" } });
 * deepEqual(flags.queue, "jobs");
 * throws(() => parseFlags(["--nope"], {}), UsageError);
 * ```
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): FlagValues<T> {
  const { flags, positionals } = parseCommandLine(args, options);
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${positionals[0]}": this command takes only flags`);
  }
  return flags;
}

/**
 * Like {@linkcode parseFlags}, for commands that also take arguments: returns the flags and the
 * positional arguments (`emit_log_direct.ts error "Disk full"`). Flags are long (`--name value`
 * or `--name=value`); a value that starts with a dash (`--count -5`) is taken as the flag's
 * value, so that it is judged by what the flag expects, unless it is another flag, which means
 * the value was forgotten. Everything after `--` is an argument.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parseCommandLine } from "./flags.ts";
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
): { flags: FlagValues<T>; positionals: string[] } {
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(options)) {
    if (option.default !== undefined) values[name] = option.default;
  }
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const [, name = arg, inline] = arg.match(/^--([^=]+)(?:=([\s\S]*))?$/) ?? [];
    const option = Object.hasOwn(options, name) ? options[name] : undefined;
    if (!option) {
      throw new UsageError(`Unknown flag '${name.startsWith("-") ? name : `--${name}`}'`);
    }
    if (option.type === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`Cannot use --${name}=${inline}: --${name} takes no value`);
      }
      values[name] = true;
      continue;
    }
    if (inline !== undefined) {
      values[name] = inline;
      continue;
    }
    const next = args[i + 1];
    if (next === undefined) throw new UsageError(`Missing the value of --${name}`);
    const flag = next.match(/^--([^=]+)/)?.[1];
    if (flag !== undefined && Object.hasOwn(options, flag)) {
      throw new UsageError(`Missing the value of --${name} (found ${next} instead)`);
    }
    values[name] = next;
    i++;
  }
  return { flags: values as FlagValues<T>, positionals };
}

/**
 * Reads a flag's value as a whole number of at least `min` (default 1).
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { integerFlag } from "./flags.ts";
 * import { UsageError } from "./exit.ts";
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
 * import { secondsFlag } from "./flags.ts";
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
 * Checks a queue name given with `--queue`: the broker takes at most 255 bytes (UTF-8) and
 * reserves names that start with `amq.` for itself, and an empty name would ask it to make one up.
 * Returns the name.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { queueNameFlag } from "./flags.ts";
 *
 * deepEqual(queueNameFlag("queue", "hello"), "hello");
 * throws(() => queueNameFlag("queue", "amq.foo"), /reserved/);
 * throws(() => queueNameFlag("queue", "q".repeat(256)), /at most 255 bytes/);
 * ```
 */
export function queueNameFlag(name: string, value: string): string {
  const bytes = new TextEncoder().encode(value).length;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  if (bytes === 0) throw new UsageError(`Cannot use --${name} "": expected a queue name`);
  if (bytes > 255) {
    throw new UsageError(
      `Cannot use --${name} "${shown}" (${bytes} bytes): a queue name is at most 255 bytes`,
    );
  }
  if (value.startsWith("amq.")) {
    throw new UsageError(
      `Cannot use --${name} "${shown}": names starting with "amq." are reserved by the broker`,
    );
  }
  return value;
}

const QUEUE_TYPES: readonly QueueType[] = ["classic", "quorum", "stream"];

/**
 * Reads `--queue-type` and `--transient` into the options {@linkcode declareQueue} takes:
 * the type a script creates a queue with when it does not exist yet. `--transient` is the
 * article's `queue_declare(queue="hello")`, a classic queue that does not survive a restart,
 * so it goes with `classic` only.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { queueTypeFlags } from "./flags.ts";
 *
 * deepEqual(queueTypeFlags("quorum", false), { type: "quorum", durable: true });
 * deepEqual(queueTypeFlags("classic", true), { type: "classic", durable: false });
 * throws(() => queueTypeFlags("quorum", true), /--transient/);
 * ```
 */
export function queueTypeFlags(type: string, transient: boolean): DeclareQueueOptions {
  if (!(QUEUE_TYPES as string[]).includes(type)) {
    throw new UsageError(
      `Cannot use --queue-type "${type}": expected ${QUEUE_TYPES.join(", ")}`,
    );
  }
  if (transient && type !== "classic") {
    throw new UsageError(
      `Cannot use --transient with --queue-type ${type}: ${type} queues are always durable` +
        ` (add --queue-type classic)`,
    );
  }
  return { type: type as QueueType, durable: !transient };
}

/**
 * Reads a stream offset given with `--NAME`: `first`, `last`, `next`, a whole number, an ISO
 * 8601 time (`2026-11-28T12:00:00Z`) or an interval (`1h`). Anything else is a
 * {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { streamOffsetFlag } from "./flags.ts";
 *
 * deepEqual(streamOffsetFlag("offset", "first"), "first");
 * deepEqual(streamOffsetFlag("offset", "42"), 42);
 * deepEqual(streamOffsetFlag("offset", "2026-11-28T12:00:00Z"), new Date("2026-11-28T12:00:00Z"));
 * deepEqual(streamOffsetFlag("offset", "1h"), "1h");
 * throws(() => streamOffsetFlag("offset", "yesterday"), /--offset "yesterday"/);
 * ```
 */
export function streamOffsetFlag(name: string, text: string): StreamOffset {
  if (text === "first" || text === "last" || text === "next") return text;
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (/^\d+[YMDhms]$/.test(text)) return text as StreamOffset;
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
  throw new UsageError(
    `Cannot use --${name} "${text}": expected first, last, next, an offset number, ` +
      "an ISO time (2026-11-28T12:00:00Z) or an interval (1h, 30m, 7D)",
  );
}
