/**
 * The frame every script's `main` runs in, so that a script holds only its own work: strict
 * flags with `--help`, Ctrl+C and SIGTERM as one request to stop (a later second press exits at
 * once, 130), lines to stdout in batches, and any failure as one line and an exit code (1
 * runtime, 2 usage).
 *
 * @module
 */

import type { ParseArgsOptionsConfig } from "node:util";
import { reportFailure, UsageError } from "./exit.ts";
import { type FlagValues, parseCommandLine } from "./flags.ts";
import { bufferedLines } from "./output.ts";
import { onShutdownSignal } from "./shutdown.ts";

/**
 * What a script's work is given.
 *
 * @example
 * ```ts ignore
 * async run({ flags, positionals, stop, out }) {
 *   out.line(` [x] Sent '${positionals[0]}'`);
 * }
 * ```
 */
export interface Run<F extends ParseArgsOptionsConfig> {
  /** The flags, parsed strictly. */
  flags: FlagValues<F>;
  /** The arguments after the flags, when the script takes any. */
  positionals: string[];
  /** Aborts on Ctrl+C or SIGTERM: finish what is in hand, then return. */
  stop: AbortSignal;
  /** stdout, a line at a time, written in batches (flushed before the script ends). */
  out: { line(text: string): void; flush(): void };
}

/**
 * A script: its `--help` text, its flags (`node:util` `parseArgs` options; `--help` is added),
 * the arguments it takes if any, and its work.
 *
 * @example
 * ```ts
 * import type { Script } from "./main.ts";
 *
 * const hello: Script<{ name: { type: "string"; default: string } }> = {
 *   usage: "Usage: hello.ts [--name NAME]",
 *   flags: { name: { type: "string", default: "world" } },
 *   run: ({ flags, out }) => out.line(`hello, ${flags.name}`),
 * };
 * ```
 */
export interface Script<F extends ParseArgsOptionsConfig> {
  /** The `--help` text; its first line is `Usage: NAME ...`. */
  usage: string;
  /** The flags, as `node:util`'s `parseArgs` declares them. */
  flags: F;
  /**
   * The arguments the script takes after its flags: what they are, and for those it needs at
   * least one of, an example (`{ name: "SEVERITY", required: "info warning" }`). Default: none
   * are taken.
   */
  positionals?: { name: string; required?: string };
  /** The work; resolves to the exit code (default 0). */
  run(run: Run<F>): void | number | Promise<void | number>;
}

/**
 * Runs `script` with the command line `args` and resolves to its exit code. The end of a script
 * file is then `if (import.meta.main) Deno.exitCode = await main(Deno.args);`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { runMain } from "./main.ts";
 *
 * const script = { usage: "Usage: x.ts", flags: {}, run: () => 3 };
 * deepEqual(await runMain(script, []), 3);
 * deepEqual(await runMain(script, ["--nope"]), 2);
 * ```
 */
export async function runMain<F extends ParseArgsOptionsConfig>(
  script: Script<F>,
  args: string[],
): Promise<number> {
  using out = bufferedLines(Deno.stdout);
  try {
    const { flags, positionals } = parseCommandLine(args, {
      ...script.flags,
      help: { type: "boolean", default: false },
    } as F);
    if ((flags as { help?: boolean }).help) {
      console.log(script.usage);
      return 0;
    }
    const name = script.usage.match(/^Usage: (\S+)/)?.[1] ?? "this command";
    if (!script.positionals && positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}": ${name} takes only flags`);
    }
    const needed = script.positionals?.required;
    if (needed && positionals.length === 0) {
      throw new UsageError(`Missing ${script.positionals!.name}: ${name} ${needed}`);
    }
    // A second Ctrl+C, later, means "stop waiting": what was printed goes out, then exit.
    using shutdown = onShutdownSignal({ onRepeat: () => (out.flush(), Deno.exit(130)) });
    const code = await script.run({
      flags: flags as FlagValues<F>,
      positionals,
      stop: shutdown.signal,
      out,
    });
    return code ?? 0;
  } catch (error) {
    out.flush();
    return reportFailure(error, console.error);
  }
}
