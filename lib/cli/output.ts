/**
 * Output for scripts that print a line per message: lines gathered and written in batches (one
 * write per 64 KiB or per tenth of a second, not one per line); on a terminal, a progress line
 * that rewrites itself instead of a million lines scrolling by; and the lines for a lost and
 * regained connection. The script passes where to write (`Deno.stdout`, `Deno.stderr`).
 *
 * @module
 */

import { type CancelTimer, later } from "../transport/clock.ts";
import { writeText } from "../transport/text.ts";
import type { ReconnectEvents } from "../amqp/reconnect.ts";
import { failure } from "./exit.ts";

const encoder = new TextEncoder();

/** Where output goes: `Deno.stdout` and `Deno.stderr` are such. */
export interface Sink {
  /** Writes some of `bytes`, returning how many. */
  writeSync(bytes: Uint8Array): number;
}

function writeAll(sink: Sink, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += sink.writeSync(bytes.subarray(done));
}

/**
 * Lines written to `sink` in batches: `line()` adds one, and they go out together once 64 KiB
 * have gathered or `everyMs` passed, and at `flush()` (call it before exiting; disposing does).
 *
 * @example
 * ```ts
 * import { bufferedLines } from "./output.ts";
 *
 * using out = bufferedLines(Deno.stdout);
 * for (let i = 0; i < 3; i++) out.line(` [x] Sent '${i}'`);
 * ```
 */
export function bufferedLines(
  sink: Sink,
  everyMs = 100,
): { line(text: string): void; flush(): void } & Disposable {
  // Encoded as they come, into one buffer: no string waits around to be collected later.
  const buffer = new Uint8Array(64 * 1024);
  let filled = 0;
  let timer: CancelTimer | undefined;
  const flush = () => {
    timer?.();
    timer = undefined;
    if (filled > 0) writeAll(sink, buffer.subarray(0, filled));
    filled = 0;
  };
  const line = (text: string) => {
    if (filled + text.length * 3 + 1 > buffer.length) {
      flush();
      if (text.length * 3 + 1 > buffer.length) return writeAll(sink, encoder.encode(`${text}\n`));
    }
    filled += writeText(buffer, filled, text, buffer.length - filled);
    buffer[filled++] = 10; // "\n"
    timer ??= later(everyMs, flush); // not setTimeout: see lib/transport/clock.ts
  };
  return { line, flush, [Symbol.dispose]: flush };
}

/**
 * A line on a terminal that shows how far a long run is and rewrites itself, at most five times
 * a second: `[*] 12,345 of 1,000,000 sent, 31,234 msg/s, 31 s left`. `done()` leaves the last
 * state on its line.
 *
 * @example
 * ```ts ignore
 * const progress = progressLine(Deno.stderr, "sent", 1_000_000);
 * progress.update(12_345);
 * progress.done(1_000_000);
 * ```
 */
export function progressLine(
  sink: Sink,
  verb: string,
  total?: number,
): { update(count: number): void; done(count: number): void } {
  const started = performance.now();
  let shownAt = 0;
  const show = (count: number, end: string) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? count / seconds : 0;
    const of = total === undefined ? "" : ` of ${total.toLocaleString("en")}`;
    const left = total !== undefined && rate > 0 && end === ""
      ? `, ${Math.ceil((total - count) / rate)} s left`
      : "";
    writeAll(
      sink,
      encoder.encode(
        `\r\x1b[2K [*] ${count.toLocaleString("en")}${of} ${verb}, ` +
          `${Math.round(rate).toLocaleString("en")} msg/s${left}${end}`,
      ),
    );
  };
  return {
    update(count: number) {
      const now = performance.now();
      if (now - shownAt < 200) return;
      shownAt = now;
      show(count, "");
    },
    done(count: number) {
      show(count, ` in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}

/**
 * The standard lines for a lost and regained connection, written through `write` (scripts pass
 * `console.error`), as the `on` events of a reconnecting call. Given the `--idle` timer, they
 * also stop its clock while reconnecting: idle means no message while connected.
 *
 * @example
 * ```ts
 * import { reconnectLines } from "./output.ts";
 *
 * const on = reconnectLines(console.error);
 * ```
 */
export function reconnectLines(
  write: (line: string) => void,
  idle?: { pause(): void; reset(): void },
): Required<ReconnectEvents> {
  let lostUrl = "";
  return {
    lost: (error, url) => {
      idle?.pause();
      lostUrl = url;
      write(` [!] Connection lost to ${url} (${failure(error).line}); reconnecting`);
    },
    reconnected: (ms, url) => {
      idle?.reset();
      const moved = lostUrl && url !== lostUrl ? " (another node of the list)" : "";
      write(` [*] Reconnected to ${url} after ${(ms / 1000).toFixed(1)} s${moved}`);
    },
  };
}
