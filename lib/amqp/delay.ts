/**
 * Waiting a while, or less if told to stop: what `node:timers/promises`' `setTimeout(ms,
 * undefined, { signal })` does, written out because loading `node:timers` costs every script a
 * few milliseconds of start-up (the tutorial's producer runs in about 50).
 *
 * @module
 */

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
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
