// RabbitMQ's management HTTP API (the `rabbitmq_management` plugin) as top.ts reads it: the
// overview, the nodes and the queues of one API, asked of each of a list of APIs (one per
// node) so that the view still comes from another node when one is down. Fetching and parsing
// only: nothing here prints, and a failure is an error carrying the URL and the reason.

import { BrokerError } from "../lib/amqp/errors.ts";
import { maskUrl } from "../lib/amqp/urls.ts";
import { UsageError } from "../lib/cli/exit.ts";

/** The API when none is named: the plugin's default port on this machine. */
export const DEFAULT_MANAGEMENT_URL = "http://127.0.0.1:15672/";

/** The user and password the API is asked with (HTTP basic authentication). */
export interface Credentials {
  user: string;
  password: string;
}

/** One queue, as `/api/queues` describes it. */
export interface QueueRow {
  vhost: string;
  name: string;
  /** `classic`, `quorum` or `stream`. */
  type: string;
  ready: number;
  unacked: number;
  /** Messages published per second, over the API's last 5 s. */
  publishRate: number;
  /** Messages delivered (or fetched with basic.get) per second, over the API's last 5 s. */
  deliverRate: number;
  consumers: number;
  /** The quorum queue's or stream's leader; a classic queue's node. */
  leader?: string;
  /** A quorum queue's or stream's members. */
  members: string[];
  /** Those of the members online, when the API says (quorum queues). */
  online?: string[];
}

/** One node, as `/api/nodes` of the answering API describes it. */
export interface NodeRow {
  name: string;
  running: boolean;
  /** The nodes it sees on the other side of a partition. */
  partitions: string[];
}

/** What one refresh found. */
export interface Snapshot {
  /** The API the view comes from: the first, in the list's order, that answered. */
  from: string;
  /** The node that API runs on. */
  node: string;
  clusterName: string;
  version: string;
  nodes: NodeRow[];
  queues: QueueRow[];
  /** Per API of the list: the node it answered for, or why it did not answer. */
  apis: { url: string; node?: string; error?: string }[];
}

/** APIs that do not answer, or not as the management API does: exit code 1. */
export class ManagementError extends BrokerError {
  /**
   * Creates the error.
   * @param failures Each API's URL (without user info) and what happened, in a few words:
   * `connection refused`, `HTTP 401 ...`.
   */
  constructor(readonly failures: { url: string; reason: string }[]) {
    const each = failures.map(({ url, reason }) => `${url} (${reason})`);
    super(`Cannot reach the management API at ${each.join(", nor at ")}`);
    this.name = "ManagementError";
  }
}

/**
 * The APIs of a comma-separated list (`--management`), each an `http://` or `https://` URL
 * ending in `/`. User info is refused: a password on the command line is visible to every local
 * user, so it comes from the environment instead.
 */
export function managementUrls(list: string): string[] {
  return list.split(",").map((entry) => entry.trim()).map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new UsageError(
        `Cannot parse the management URL "${maskUrl(entry)}": expected http://host:15672/`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(
        `Cannot use the management URL "${maskUrl(entry)}": expected http:// or https://`,
      );
    }
    if (url.username || url.password) {
      throw new UsageError(
        `Cannot use the management URL "${maskUrl(entry)}": give the user with --user or ` +
          `AMQP_URL and the password in AMQP_PASSWORD, not in the URL`,
      );
    }
    url.search = url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    return url.href;
  });
}

/** `host:port` of a URL, as `--allow-net` takes it. */
export function apiAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === "https:" ? 443 : 80)}`;
}

/** Why a fetch failed, in a few words. */
function reasonOf(error: unknown, timeout: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeout / 1000} s`;
  }
  const detail = String((error as Error)?.cause ?? (error as Error)?.message ?? error);
  if (/Connection refused/i.test(detail)) return "connection refused";
  if (/dns error|failed to lookup/i.test(detail)) return "unknown host";
  if (/Connection reset|connection closed/i.test(detail)) return "connection closed";
  if (/invalid HTTP|SendRequest/i.test(detail)) return "not an HTTP server";
  return detail.replace(/^[^:]*: /, "").split("\n")[0]!.slice(0, 120);
}

/** GETs `path` of the API at `url` as JSON; a failure is a {@linkcode ManagementError}. */
async function getJson(
  url: string,
  path: string,
  credentials: Credentials,
  timeout: number,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, url), {
      headers: { Authorization: `Basic ${btoa(`${credentials.user}:${credentials.password}`)}` },
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(
        `Cannot reach the management API at ${url}: not allowed, run with ` +
          `--allow-net=${apiAddress(url)}`,
      );
    }
    throw new ManagementError([{ url, reason: reasonOf(error, timeout) }]);
  }
  if (response.status === 401) {
    await response.body?.cancel();
    const reason = `HTTP 401: user "${credentials.user}" refused; check --user, AMQP_URL and ` +
      "AMQP_PASSWORD";
    throw new ManagementError([{ url, reason }]);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ManagementError([{ url, reason: `HTTP ${response.status} for ${path}` }]);
  }
  try {
    return await response.json();
  } catch {
    throw new ManagementError([{
      url,
      reason: `not JSON from ${path}: is this the management API?`,
    }]);
  }
}

const text = (value: unknown, fallback = "") => typeof value === "string" ? value : fallback;
const count = (value: unknown) => typeof value === "number" && Number.isFinite(value) ? value : 0;
const names = (value: unknown) =>
  Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
const record = (value: unknown) =>
  (value !== null && typeof value === "object" ? value : {}) as Record<string, unknown>;
const rate = (stats: unknown, name: string) => count(record(record(stats)[`${name}_details`]).rate);

/** The fields of `/api/queues` that a row needs: the API sends only these. */
const QUEUE_COLUMNS = [
  "vhost",
  "name",
  "type",
  "messages_ready",
  "messages_unacknowledged",
  "consumers",
  "node",
  "leader",
  "members",
  "online",
  "message_stats.publish_details.rate",
  "message_stats.deliver_get_details.rate",
].join(",");

/**
 * Parses `/api/queues` (with {@linkcode QUEUE_COLUMNS}) into rows, by vhost and name; a field
 * missing or of another type reads as empty or 0 (a queue without traffic has no
 * `message_stats`; a classic queue has a `node`, not a `leader`).
 */
export function parseQueues(json: unknown): QueueRow[] {
  if (!Array.isArray(json)) throw new TypeError("Cannot read /api/queues: expected a list");
  return json.map((entry): QueueRow => {
    const queue = record(entry);
    const type = text(queue.type, "classic");
    return {
      vhost: text(queue.vhost, "/"),
      name: text(queue.name),
      type,
      ready: count(queue.messages_ready),
      unacked: count(queue.messages_unacknowledged),
      publishRate: rate(queue.message_stats, "publish"),
      deliverRate: rate(queue.message_stats, "deliver_get"),
      consumers: count(queue.consumers),
      leader: text(queue.leader) || text(queue.node) || undefined,
      members: names(queue.members),
      online: Array.isArray(queue.online) ? names(queue.online) : undefined,
    };
  }).toSorted((a, b) =>
    a.vhost === b.vhost ? (a.name < b.name ? -1 : 1) : (a.vhost < b.vhost ? -1 : 1)
  );
}

/** Parses `/api/nodes` into rows, by name. */
export function parseNodes(json: unknown): NodeRow[] {
  if (!Array.isArray(json)) throw new TypeError("Cannot read /api/nodes: expected a list");
  return json.map((entry) => {
    const node = record(entry);
    return {
      name: text(node.name),
      running: node.running === true,
      partitions: names(node.partitions),
    };
  }).toSorted((a, b) => (a.name < b.name ? -1 : 1));
}

/** Options for {@linkcode fetchSnapshot}. */
export interface FetchOptions {
  /** Milliseconds each request may take. Default: 3000. */
  timeout?: number;
}

/**
 * Asks every API of `urls` for its overview (at once), then the first that answered, in the
 * list's order, for its nodes and queues. Rejects with the {@linkcode ManagementError} of the
 * first API when none answers (its message names every URL tried).
 */
export async function fetchSnapshot(
  urls: string[],
  credentials: Credentials,
  options: FetchOptions = {},
): Promise<Snapshot> {
  const timeout = options.timeout ?? 3000;
  const overviews = await Promise.allSettled(
    urls.map((url) =>
      getJson(url, "api/overview?columns=cluster_name,node,rabbitmq_version", credentials, timeout)
    ),
  );
  const apis = overviews.map((result, i) =>
    result.status === "fulfilled"
      ? { url: urls[i]!, node: text(record(result.value).node) }
      : { url: urls[i]!, error: errorReason(result.reason) }
  );
  for (const failed of overviews) {
    if (failed.status === "rejected" && failed.reason instanceof UsageError) throw failed.reason;
  }
  const first = overviews.findIndex((result) => result.status === "fulfilled");
  if (first === -1) {
    throw new ManagementError(apis.map((api) => ({ url: api.url, reason: api.error! })));
  }
  const from = urls[first]!;
  const overview = record((overviews[first] as PromiseFulfilledResult<unknown>).value);
  const [nodes, queues] = await Promise.all([
    getJson(from, "api/nodes?columns=name,running,partitions", credentials, timeout),
    getJson(from, `api/queues?columns=${QUEUE_COLUMNS}`, credentials, timeout),
  ]);
  return {
    from,
    node: text(overview.node),
    clusterName: text(overview.cluster_name),
    version: text(overview.rabbitmq_version),
    nodes: parseNodes(nodes),
    queues: parseQueues(queues),
    apis,
  };
}

function errorReason(error: unknown): string {
  return error instanceof ManagementError
    ? error.failures.map((failure) => failure.reason).join("; ")
    : String((error as Error)?.message);
}

/**
 * What a node is, as far as the APIs can tell: `up` when the answering API lists it running;
 * `split` when it lists it not running but the node's own API answers (a partition, both sides
 * up); else `down/paused`. A node paused by `pause_minority` stops its apps, its API and AMQP
 * listeners included, while its VM waits, so over HTTP it looks exactly like one that is down.
 */
export function nodeState(node: NodeRow, snapshot: Snapshot): "up" | "split" | "down/paused" {
  if (node.running) return "up";
  return snapshot.apis.some((api) => api.node === node.name) ? "split" : "down/paused";
}
