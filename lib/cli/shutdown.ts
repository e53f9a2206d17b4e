/**
 * Stopping a long-running script: Ctrl+C or SIGTERM as one request to stop, a second press to
 * give up waiting, and the `--idle` timer.
 *
 * @module
 */

import { Deadline } from "../transport/clock.ts";

/**
 * Options for {@linkcode onShutdownSignal}.
 *
 * @example
 * ```ts
 * import type { ShutdownOptions } from "./shutdown.ts";
 *
 * const options: ShutdownOptions = { onRepeat: () => Deno.exit(130) };
 * ```
 */
export interface ShutdownOptions {
  /**
   * Called on a later, second request, when the user no longer wants to wait. Default: none,
   * and the listeners go once `sameRequestWithin` has passed, so that a second signal gets
   * Deno's own treatment: the process ends (exit code 130 for SIGINT).
   */
  onRepeat?: () => void;
  /**
   * Milliseconds after the first signal during which further signals are the same request.
   * One Ctrl+C in a terminal reaches every process of the foreground group, and `deno task`
   * forwards it to its child as well, so a script can receive two SIGINTs a few milliseconds
   * apart for a single key press. A process that finishes sooner lives to the end of this
   * window, so that a late copy cannot change its exit code. Default: 500.
   */
  sameRequestWithin?: number;
}

/**
 * Listens for SIGINT (Ctrl+C) and SIGTERM. The first aborts the returned signal so the script
 * can stop cleanly; signals within `sameRequestWithin` ms of it are copies of that one press;
 * a signal after that calls `onRepeat` (typically an immediate exit). Dispose of the result
 * (`using`) to remove the listeners.
 *
 * @example
 * ```ts
 * import { onShutdownSignal } from "./shutdown.ts";
 *
 * using shutdown = onShutdownSignal({ onRepeat: () => Deno.exit(130) });
 * console.log(shutdown.signal.aborted); // false until Ctrl+C
 * ```
 */
export function onShutdownSignal(
  options: ShutdownOptions = {},
): { signal: AbortSignal } & Disposable {
  const { onRepeat, sameRequestWithin = 500 } = options;
  const controller = new AbortController();
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let first = 0;
  const remove = () => names.forEach((name) => Deno.removeSignalListener(name, handler));
  const handler = () => {
    if (!controller.signal.aborted) {
      first = performance.now();
      controller.abort(new DOMException("Stopped by a signal", "AbortError"));
      if (!onRepeat) Deno.unrefTimer(setTimeout(remove, sameRequestWithin));
    } else if (performance.now() - first > sameRequestWithin) {
      onRepeat?.();
    }
  };
  for (const name of names) Deno.addSignalListener(name, handler);
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      if (!controller.signal.aborted) return remove();
      // A copy of the press may still be on its way (deno task forwards it, a few milliseconds
      // later, or more on a busy machine). Arriving while the process exits, it would turn exit
      // code 0 into 130, so the listeners stay, and the process lives, until the window is
      // over: at most `sameRequestWithin` after the first signal (listeners alone do not keep
      // a process alive).
      setTimeout(remove, Math.max(0, first + sameRequestWithin - performance.now()));
    },
  };
}

/**
 * An abort signal that fires after `ms` milliseconds without a call to `reset()`: the
 * `--idle` timer, restarted on each message. The clock starts at the first `reset()` (once
 * connected, so that a slow connect is not idleness); `pause()` stops it (while reconnecting,
 * say) until the next `reset()`; `clear()` stops it for good.
 *
 * @example
 * ```ts
 * import { idleTimer } from "./shutdown.ts";
 *
 * const idle = idleTimer(50);
 * idle.reset(); // connected, or a message arrived: 50 ms from now
 * await new Promise((resolve) => idle.signal.addEventListener("abort", resolve));
 * ```
 */
export function idleTimer(
  ms: number,
): { signal: AbortSignal; reset(): void; pause(): void; clear(): void } {
  const controller = new AbortController();
  // Reset by every message: one deadline, not a timer apiece (see lib/transport/clock.ts).
  const deadline = new Deadline();
  const idle = () => controller.abort(new DOMException(`Idle for ${ms / 1000} s`, "TimeoutError"));
  const reset = () => {
    if (!controller.signal.aborted) deadline.set(ms, idle);
  };
  return {
    signal: controller.signal,
    reset,
    pause: () => deadline.clear(),
    clear: () => deadline[Symbol.dispose](),
  };
}
