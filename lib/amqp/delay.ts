/**
 * Waiting a while, or less if told to stop: what `node:timers/promises`' `setTimeout(ms,
 * undefined, { signal })` does, written out on the timers of `lib/transport/clock.ts` because
 * loading `node:timers` (the global `setTimeout` too, in Deno 2.9) costs every script about 10 ms
 * of start-up.
 *
 * @module
 */

import { later } from "../transport/clock.ts";

/**
 * Resolves after `ms` milliseconds, or rejects with `signal`'s reason as soon as it aborts.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { delay } from "./delay.ts";
 *
 * await delay(1);
 * await rejects(delay(60_000, AbortSignal.abort(new Error("stop"))), /stop/);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal!.reason);
    };
    const cancel = later(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
