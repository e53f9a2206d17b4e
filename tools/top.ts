/**
 * # `deno task top`: a live view of a broker's queues and nodes
 *
 * Per queue its type, ready and unacked messages, publish and deliver rates, consumers, and a
 * quorum queue's leader and members; per node whether it is up. From RabbitMQ's management HTTP
 * API (the rabbitmq_management plugin), refreshed each second. On a terminal it takes the screen
 * until `q` or Ctrl+C; piped, it prints a plain block per refresh, or one with `--once`.
 *
 *     deno task top --once
 *
 * @module
 */

import { delay } from "../lib/amqp/delay.ts";
import { brokerUrls, decoded, parseBrokerUrl } from "../lib/amqp/urls.ts";
import { envVar, passwordFromEnv, resolveUrl } from "../lib/cli/env.ts";
import { failure } from "../lib/cli/exit.ts";
import { secondsFlag } from "../lib/cli/flags.ts";
import { runMain } from "../lib/cli/main.ts";
import { printable } from "../lib/cli/text.ts";
import {
  type Credentials,
  DEFAULT_MANAGEMENT_URL,
  fetchSnapshot,
  ManagementError,
  managementUrls,
  nodeState,
  type Snapshot,
} from "./_management.ts";

const USAGE = `Usage: top.ts [--management URL[,URL...]] [--user NAME] [--once] [--interval S]

Shows each queue (type, ready, unacked, publish and deliver rates, consumers, a quorum queue's
leader and members) and each node (up, down/paused, split), from the management HTTP API.
On a terminal: refreshed in place until q or Ctrl+C. Piped: a plain block per refresh.

  --management URLS  the API, or one per node of a cluster, comma-separated: the view comes
                     from the first that answers (default $AMQP_MANAGEMENT_URL, else
                     ${DEFAULT_MANAGEMENT_URL})
  --user NAME        the API's user (default AMQP_URL's, else guest); the password comes from
                     AMQP_PASSWORD_FILE or AMQP_PASSWORD, else AMQP_URL's, else guest
  --once             print one snapshot and exit
  --interval S       seconds between refreshes (default 1)`;

const FLAGS = {
  management: { type: "string" },
  user: { type: "string" },
  once: { type: "boolean", default: false },
  interval: { type: "string" },
} as const;

const ESC = "\x1b[";

/**
 * The API's user and password: `--user`, else AMQP_URL's; the password the scripts' way
 * (AMQP_PASSWORD_FILE, then AMQP_PASSWORD), else AMQP_URL's when it is that URL's user.
 */
async function credentialsFor(user: string | undefined): Promise<Credentials> {
  const url = parseBrokerUrl(brokerUrls(resolveUrl())[0]!);
  const urlUser = decoded(url.username, url.href) || "guest";
  const urlPassword = decoded(url.password, url.href) || "guest";
  const fromEnv = await passwordFromEnv();
  const name = user ?? urlUser;
  return { user: name, password: fromEnv ?? (name === urlUser ? urlPassword : "guest") };
}

/** How many terminal columns `text` takes: East Asian wide characters and emoji take two. */
function widthOf(text: string): number {
  let width = 0;
  for (const char of text) {
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u
          .test(char)
        ? 2
        : 1;
  }
  return width;
}

/** `text` cut to `width` columns, ending in `…` when cut, padded to `width` (at the start if `right`). */
function fit(text: string, width: number, right = false): string {
  if (widthOf(text) > width) {
    let cut = "";
    for (const char of text) {
      if (widthOf(cut + char) > width - 1) break;
      cut += char;
    }
    text = `${cut}…`;
  }
  const pad = " ".repeat(Math.max(0, width - widthOf(text)));
  return right ? pad + text : text + pad;
}

/** A count in at most 8 columns: whole up to 10^8, then in millions. */
const amount = (n: number) => n < 1e8 ? String(n) : `${Math.round(n / 1e6)}M`;

/** A rate in at most 7 columns: one decimal below 100 a second, whole up to 10^6, then millions. */
const perSecond = (rate: number) =>
  rate < 100
    ? rate.toFixed(1)
    : rate < 1e6
    ? String(Math.round(rate))
    : `${(rate / 1e6).toFixed(1)}M`;

/** A node's name without `@host` when the rest alone tells the nodes apart. */
function shortNames(nodes: string[]): (name: string) => string {
  const prefixes = nodes.map((name) => name.split("@")[0]);
  const unique = new Set(prefixes).size === nodes.length;
  return (name) => printable(unique ? name.split("@")[0]! : name);
}

/**
 * The lines of one snapshot, each at most `width` columns (names cut with `…`). Names from the
 * broker are {@linkcode printable}: a queue name cannot drive the terminal.
 */
export function render(snapshot: Snapshot, width = Infinity, at = new Date()): string[] {
  const time = at.toTimeString().slice(0, 8);
  const nodeWidth = Math.max(4, ...snapshot.nodes.map((node) => printable(node.name).length));
  const lines = [
    `${time}  RabbitMQ ${printable(snapshot.version)}, cluster ` +
    `${printable(snapshot.clusterName)}, from ${snapshot.from}`,
    "",
    `${fit("NODE", Math.min(nodeWidth, width - 13))}  STATE`,
    ...snapshot.nodes.map((node) => {
      const split = node.partitions.length ? `, partitioned from ${node.partitions.length}` : "";
      return `${fit(printable(node.name), Math.min(nodeWidth, width - 13))}  ` +
        nodeState(node, snapshot) + split;
    }),
    "",
  ];
  const short = shortNames(snapshot.nodes.map((node) => node.name));
  const vhosts = snapshot.queues.some((queue) => queue.vhost !== "/");
  const rows = snapshot.queues.map((queue) => ({
    name: (vhosts ? `${printable(queue.vhost)} ` : "") + printable(queue.name),
    cells: [
      queue.type,
      amount(queue.ready),
      amount(queue.unacked),
      perSecond(queue.publishRate),
      perSecond(queue.deliverRate),
      amount(queue.consumers),
    ],
    leader: queue.leader ? short(queue.leader) : "",
    members: queue.members.map((member) =>
      short(member) + (queue.online && !queue.online.includes(member) ? "(off)" : "")
    ).join(" "),
  }));
  // Fixed columns; the name takes what is left (at least 8, the leader up to 12 first), then
  // the leader, then the members, and the line is cut at the terminal's edge.
  const cellWidths = [7, 8, 8, 7, 7, 5];
  const fixed = cellWidths.reduce((sum, w) => sum + w + 1, 0) + 2;
  const leaderLongest = Math.max(6, ...rows.map((row) => widthOf(row.leader)));
  const longest = Math.max(5, ...rows.map((row) => widthOf(row.name)));
  const nameWidth = Math.max(8, Math.min(longest, width - fixed - Math.min(leaderLongest, 12)));
  const leaderWidth = Math.max(6, Math.min(leaderLongest, width - fixed - nameWidth));
  const line = (name: string, cells: string[], leader: string, members: string) =>
    `${fit(name, nameWidth)} ${
      cells.map((cell, i) => fit(cell, cellWidths[i]!, i > 0)).join(" ")
    }` +
    `  ${fit(leader, leaderWidth)}  ${members}`.trimEnd();
  lines.push(
    line(
      vhosts ? "VHOST QUEUE" : "QUEUE",
      ["TYPE", "READY", "UNACKED", "PUB/S", "DELIV/S", "CONS"],
      "LEADER",
      "MEMBERS",
    ),
  );
  for (const row of rows) lines.push(line(row.name, row.cells, row.leader, row.members));
  if (rows.length === 0) lines.push("(no queues)");
  return lines.map((text) => widthOf(text) > width ? fit(text, width) : text);
}

/** Resolves when `q`, `Q` or Ctrl+C is typed on the raw terminal, or `stop` aborts. */
async function quitKey(stop: AbortSignal): Promise<void> {
  const reader = Deno.stdin.readable.getReader();
  stop.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  while (!stop.aborted) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done || !value) return;
    if (value.some((byte) => byte === 0x71 || byte === 0x51 || byte === 0x03)) break;
  }
  reader.releaseLock();
}

export async function main(args: string[]): Promise<number> {
  return await runMain({
    usage: USAGE,
    flags: FLAGS,
    async run({ flags, stop, out }) {
      // AMQP_MANAGEMENT_URL is read under --allow-env="AMQP_*" with the scripts' strictness.
      const listed = flags.management ?? envVar("AMQP_MANAGEMENT_URL");
      const urls = managementUrls(listed ?? DEFAULT_MANAGEMENT_URL);
      const interval = secondsFlag("interval", flags.interval) ?? 1000;
      const credentials = await credentialsFor(flags.user);
      const refresh = () => fetchSnapshot(urls, credentials, { timeout: Math.max(interval, 2000) });

      // The first answer decides: an API that never answered is a failure (exit 1).
      let snapshot = await refresh().catch((error) => {
        throw hint(error, listed === undefined);
      });

      // Piped (or --once): plain blocks, no escape codes; a failure is a line on stderr.
      if (flags.once || !Deno.stdout.isTerminal()) {
        let failing = "";
        while (true) {
          if (!failing) render(snapshot).forEach((text) => out.line(text));
          out.flush();
          if (flags.once) return 0;
          if (await delay(interval, stop).then(() => false, () => true)) return 0;
          try {
            snapshot = await refresh();
            if (failing) console.error(` [*] The management API answers again`);
            failing = "";
            out.line("");
          } catch (error) {
            const line = failure(error).line;
            if (line !== failing) console.error(` [!] ${line}; retrying`);
            failing = line;
          }
        }
      }

      // A terminal: the alternate screen, no cursor, keys read raw; all undone on the way out.
      const quit = new AbortController();
      const done = AbortSignal.any([stop, quit.signal]);
      const raw = Deno.stdin.isTerminal();
      const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
      if (raw) Deno.stdin.setRaw(true);
      write(`${ESC}?1049h${ESC}?25l`);
      const keys = raw ? quitKey(done).then(() => quit.abort()) : undefined;
      try {
        let problem = "";
        while (!done.aborted) {
          const { columns, rows } = Deno.consoleSize();
          const footer = problem ? `${problem}; retrying` : "q quits";
          const lines = [...render(snapshot, columns).slice(0, rows - 2), "", footer]
            .map((text) => fit(text, columns).trimEnd());
          write(`${ESC}H${lines.map((text) => `${text}${ESC}K`).join("\r\n")}${ESC}J`);
          if (await delay(interval, done).then(() => false, () => true)) break;
          try {
            snapshot = await refresh();
            problem = "";
          } catch (error) {
            problem = failure(error).line;
          }
        }
      } finally {
        write(`${ESC}?25h${ESC}?1049l`);
        if (raw) Deno.stdin.setRaw(false);
        quit.abort();
        await keys;
      }
      return 0;
    },
  }, args);
}

/** The unreachable line, with what to do when no API was named. */
function hint(error: unknown, defaulted: boolean): unknown {
  if (!(error instanceof ManagementError)) return error;
  error.message += defaulted
    ? ": enable rabbitmq_management on the broker, or pass --management URL"
    : ": is rabbitmq_management enabled there?";
  return error;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
