/**
 * Timers that leave Node's alone. In Deno 2.9 the global `setTimeout` and `setInterval` are
 * `node:timers`', loaded on their first use, which costs a script about 10 ms of start-up (a
 * fifth of what the tutorial's producer spends above its floor); `AbortSignal.timeout` is
 * Deno's own timer, and it holds the process open only while a listener waits on it. So a
 * timer here is an `AbortSignal.timeout` with one listener, and cancelling it removes the
 * listener: the signal still fires, later, to nobody. That firing costs more than the timer
 * (about 18 µs a timer in all, made and fired, against 5 µs for a `setTimeout` cleared in
 * time), so what is set and cancelled at a high rate uses one {@linkcode Deadline} instead.
 *
 * @module
 */

/** Stops a timer made by {@linkcode later} or {@linkcode repeatEvery}; calling it twice is fine. */
export type CancelTimer = () => void;

/**
 * Calls `fn` once, `ms` milliseconds from now, unless cancelled first.
 *
 * @example
 * ```ts
 * import { later } from "./clock.ts";
 *
 * const cancel = later(60_000, () => console.log("never"));
 * cancel(); // and the process is free to exit
 * await new Promise<void>((resolve) => later(1, resolve));
 * ```
 */
export function later(ms: number, fn: () => void): CancelTimer {
  const signal = AbortSignal.timeout(Math.max(0, ms));
  const listener = () => fn();
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * Calls `fn` every `ms` milliseconds until cancelled (from inside `fn` too).
 *
 * @example
 * ```ts
 * import { repeatEvery } from "./clock.ts";
 *
 * let ticks = 0;
 * await new Promise<void>((resolve) => {
 *   const cancel = repeatEvery(1, () => ++ticks === 3 && (cancel(), resolve()));
 * });
 * ```
 */
export function repeatEvery(ms: number, fn: () => void): CancelTimer {
  let cancel: CancelTimer;
  const tick = () => {
    cancel = later(ms, tick); // armed before fn runs, so that fn can cancel it
    fn();
  };
  cancel = later(ms, tick);
  return () => cancel();
}

/**
 * A deadline that can be set again and again with at most one timer pending: the inactivity
 * timeout set before each wait for a delivery, or the idle timer reset by each message,
 * thousands of times a second. A timer apiece would leave as many pending, since a cancelled
 * one still fires, to nobody, when its time comes. Setting it later than before keeps the
 * timer, which on firing finds the new due time and waits out the rest.
 *
 * `clear()` forgets the deadline but lets its timer run out (it holds the process until
 * then); `[Symbol.dispose]()` lets the timer go at once, for when the deadline is no longer
 * used.
 *
 * @example
 * ```ts
 * import { Deadline } from "./clock.ts";
 *
 * using deadline = new Deadline();
 * await new Promise<void>((resolve) => {
 *   deadline.set(60_000, () => console.log("never"));
 *   deadline.set(1, resolve); // the last set wins
 * });
 * ```
 */
export class Deadline implements Disposable {
  #fn: (() => void) | undefined;
  #due = Infinity;
  /** When the pending timer fires, and how to let it go; Infinity when none is pending. */
  #timerDue = Infinity;
  #letGo: CancelTimer | undefined;

  /** Calls `fn` `ms` milliseconds from now, instead of whatever was set before. */
  set(ms: number, fn: () => void): void {
    this.#fn = fn;
    this.#due = performance.now() + ms;
    // A pending timer that fires by then serves: it finds the new due time and waits the rest.
    if (this.#timerDue > this.#due + 1) this.#arm(ms);
  }

  /** Forgets the deadline: nothing is called. */
  clear(): void {
    this.#fn = undefined;
  }

  /** Forgets the deadline and lets its timer go, so that it holds nothing open. */
  [Symbol.dispose](): void {
    this.#fn = undefined;
    this.#letGo?.();
    this.#letGo = undefined;
    this.#timerDue = Infinity;
  }

  #arm(ms: number): void {
    this.#letGo?.();
    this.#timerDue = performance.now() + ms;
    this.#letGo = later(ms, this.#ring);
  }

  readonly #ring = (): void => {
    this.#letGo = undefined;
    this.#timerDue = Infinity;
    const fn = this.#fn;
    if (!fn) return;
    const left = this.#due - performance.now();
    if (left >= 1) return this.#arm(left);
    this.#fn = undefined;
    fn();
  };
}
