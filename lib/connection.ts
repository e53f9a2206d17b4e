/**
 * Connecting to RabbitMQ: where the URL comes from, how it is shown, and what a failure says.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { DenoAMQPClient, type Logger } from "./_deno_client.ts";
import { envVar } from "./env.ts";
import { BrokerError, UsageError } from "./errors.ts";
import { readInputFile } from "./files.ts";

/**
 * The URL used when neither a `--url` flag nor `AMQP_URL` is given: RabbitMQ's default user on
 * this machine, as `compose.yaml` and Debian's `rabbitmq-server` set it up.
 *
 * @example
 * ```ts
 * import { DEFAULT_URL, maskUrl } from "./mod.ts";
 *
 * console.log(maskUrl(DEFAULT_URL)); // amqp://guest:****@127.0.0.1:5672
 * ```
 */
export const DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

export type { Logger } from "./_deno_client.ts";

/**
 * Options for {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "./mod.ts";
 *
 * const options: ConnectOptions = { name: "worker-1", timeout: 2000, heartbeat: 30 };
 * ```
 */
export interface ConnectOptions {
  /** Broker URL. Default: `AMQP_URL` from the environment, else {@linkcode DEFAULT_URL}. */
  url?: string | undefined;
  /**
   * Milliseconds allowed for the TCP connect and the AMQP handshake together.
   * Default: the URL's `connection_timeout` query parameter, else 5000.
   */
  timeout?: number;
  /**
   * Heartbeat interval in seconds proposed to the broker; 0 turns them off.
   * Default: the URL's `heartbeat` query parameter, else 60.
   */
  heartbeat?: number;
  /** Connection name shown in the management UI. Default: the URL's `name`, else none. */
  name?: string;
  /**
   * Largest frame, in bytes, proposed to the broker; at least 8192. Larger frames mean fewer
   * frames for large bodies, but the client sets aside a buffer of this size per publish in
   * flight. Default: the URL's `frame_max` (or the client library's `frameMax`), else 8192.
   */
  frameMax?: number;
  /**
   * Most channels this connection may open; 0 takes the broker's limit (2047 for RabbitMQ).
   * Default: the URL's `channel_max` (or `channelMax`), else 0.
   */
  channelMax?: number;
  /**
   * Hears connects, disconnects and failures, as the client library's `logger` does:
   * anything with `debug`, `info`, `warn` and `error` methods, such as `console`. Default: none.
   */
  logger?: Logger;
  /**
   * Largest message body accepted from the broker, in bytes; a larger one announced is a
   * protocol error rather than an allocation. Default: 128 MiB, RabbitMQ's default
   * `max_message_size`.
   */
  maxBodySize?: number;
  /**
   * A PEM file of CA certificates to trust for `amqps://`, in addition to the system's.
   * Default: the `AMQP_CA_FILE` environment variable, else none. Reading it needs
   * `--allow-read` for that file.
   */
  caFile?: string | undefined;
  /** Aborts a connect that is still in progress. Default: none. */
  signal?: AbortSignal;
  /** With a list of brokers, the index of the one to try first. Default: 0, the first. */
  startAt?: number;
}

/**
 * Chooses the broker URL: the explicit one, else `AMQP_URL`, else {@linkcode DEFAULT_URL}.
 * Reading the environment needs `--allow-env="AMQP_*"`; without it this throws a
 * {@linkcode UsageError} rather than quietly using the default.
 *
 * @example Explicit URLs win
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { resolveUrl } from "./connection.ts";
 *
 * deepEqual(resolveUrl("amqp://rabbit:5672"), "amqp://rabbit:5672");
 * ```
 */
export function resolveUrl(url?: string): string {
  return url || envVar("AMQP_URL") || DEFAULT_URL;
}

/**
 * Returns the URL with its password replaced by `****`, safe to print or log; in a list of URLs,
 * every one's. It needs no well-formed URL: every `@` ends a password that starts at the first
 * `:` after the nearest `scheme://` before it (or the start of the text), so a password holding
 * `,`, `/`, `@` or `://` is hidden whole. When in doubt it masks more, never less.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { maskUrl } from "./connection.ts";
 *
 * deepEqual(maskUrl("amqp://guest:secret@host:5672/vhost"), "amqp://guest:****@host:5672/vhost");
 * deepEqual(maskUrl("amqp://u:a,b/c@h1,h2"), "amqp://u:****@h1,h2");
 * ```
 */
export function maskUrl(url: string): string {
  // Where user info may begin: after each scheme, else at the start.
  const starts = [...url.matchAll(/[a-z][a-z0-9+.-]*:\/\//gi)].map((m) => m.index + m[0].length);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) starts.unshift(0);
  const hidden: [number, number][] = [];
  for (let at = url.indexOf("@"); at !== -1; at = url.indexOf("@", at + 1)) {
    for (let i = starts.findLastIndex((start) => start <= at); i >= 0; i--) {
      const colon = url.indexOf(":", starts[i]);
      if (colon !== -1 && colon < at) {
        hidden.push([colon + 1, at]);
        break;
      }
    }
  }
  let out = "";
  let from = 0; // the text before `from` is written out
  for (const [start, end] of hidden.toSorted((a, b) => a[0] - b[0])) {
    if (end <= from) continue; // inside what is already hidden
    out += start >= from ? `${url.slice(from, start)}****` : "";
    from = end;
  }
  return out + url.slice(from);
}

/**
 * A list of broker URLs, split at its commas; a comma inside a password (an entry without `@`
 * followed by one with `@` and no scheme) does not split it.
 */
function splitList(url: string): string[] {
  const parts: string[] = [];
  for (const part of url.split(",")) {
    const previous = parts.at(-1);
    const inPassword = previous !== undefined && !previous.includes("@") &&
      !/^[a-z][a-z0-9+.-]*:\/\//i.test(part) && /^[^/?#]*@/.test(part);
    if (inPassword) parts[parts.length - 1] = `${previous},${part}`;
    else parts.push(part);
  }
  return parts;
}

/**
 * The brokers a URL names: one, or several separated by commas, as a cluster's nodes are given
 * (`amqp://user:pass@host1:5672,amqp://user:pass@host2:5672`). A later entry takes from the
 * first whatever it leaves out, so the credentials, vhost and settings may be given once:
 * `amqp://user:pass@host1:5672/vhost?heartbeat=30,host2:5672,host3`. (A comma in a password is
 * best written `%2C`.)
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { brokerUrls } from "./connection.ts";
 *
 * deepEqual(brokerUrls("amqp://u:p@h1:5672/v,h2:5673"), [
 *   "amqp://u:p@h1:5672/v",
 *   "amqp://u:p@h2:5673/v",
 * ]);
 * ```
 */
export function brokerUrls(url: string): string[] {
  const [first, ...rest] = splitList(url).map((part) => part.trim());
  if (!first) throw new UsageError(`Cannot use an empty broker URL: expected amqp://host:port`);
  // A part that does not parse is shown as the whole list, masked: a part alone can be a
  // piece of a password that the list's masking would have hidden.
  const base = parseBrokerUrl(first, url);
  if (rest.length === 0) return [first];
  return [
    first,
    ...rest.map((entry) => {
      if (!entry) {
        throw new UsageError(`Cannot use "${maskUrl(url)}": an empty entry between commas`);
      }
      const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry);
      const parsed = parseBrokerUrl(hasScheme ? entry : `${base.protocol}//${entry}`, url);
      if (!parsed.username) {
        parsed.username = base.username;
        parsed.password = base.password;
      }
      if (parsed.pathname === "" || parsed.pathname === "/") {
        if (!/^[^/?]*\/[^?]/.test(entry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ""))) {
          parsed.pathname = base.pathname;
        }
      }
      if (!parsed.search) parsed.search = base.search;
      return parsed.href.replace(/\/$/, "");
    }),
  ];
}

/**
 * The `host:port` of each broker a URL names, as `--allow-net` takes them. A malformed URL is a
 * {@linkcode UsageError} that shows it masked, never the password.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { brokerAddresses } from "./connection.ts";
 *
 * deepEqual(brokerAddresses("amqp://u:p@h1,amqps://h2:5673"), ["h1:5672", "h2:5673"]);
 * ```
 */
export function brokerAddresses(url: string): string[] {
  return brokerUrls(url).map((entry) => {
    const parsed = parseBrokerUrl(entry, url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol === "amqps:" ? 5671 : 5672)}`;
  });
}

/** The masked URL of the broker each open connection reached, for {@linkcode connectedTo}. */
const reached = new WeakMap<AMQPBaseClient, { url: string; index: number }>();

/**
 * The broker a connection from {@linkcode connect} reached, as a masked URL (the password
 * replaced by `****`): with a list of brokers, which one of them.
 *
 * @example
 * ```ts ignore
 * const connection = await connect({ url: "amqp://u:p@h1:5672,h2:5672" });
 * console.log(connectedTo(connection)); // amqp://u:****@h2:5672 if h1 did not answer
 * ```
 */
export function connectedTo(connection: AMQPBaseClient): string | undefined {
  return reached.get(connection)?.url;
}

/**
 * Where in its list of brokers a connection from {@linkcode connect} is: the index of the one it
 * reached, or `undefined`.
 *
 * @example
 * ```ts ignore
 * const next = (brokerIndex(connection) ?? -1) + 1; // where a reconnect starts
 * ```
 */
export function brokerIndex(connection: AMQPBaseClient): number | undefined {
  return reached.get(connection)?.index;
}

/**
 * Opens a connection to RabbitMQ on Deno's own sockets, with TCP_NODELAY on. Credentials come
 * from the URL; a URL without a password (`amqp://user@host`) takes it from `AMQP_PASSWORD`, or
 * from the file `AMQP_PASSWORD_FILE` names, so the secret need not sit in a URL or a process
 * list (a password the URL carries is never replaced: it is the one meant for that host). The URL follows
 * RabbitMQ's URI spec: `amqp[s]://user:password@host:port/vhost?heartbeat=60&connection_timeout=5000`,
 * with its query parameters `heartbeat`, `connection_timeout`, `channel_max`, `frame_max`,
 * `auth_mechanism` (`plain` only) and `cacertfile`, and the client library's `name`, `frameMax`
 * and `channelMax`. Any other parameter (`insecure`, `verify`, `certfile`, …) is refused rather
 * than ignored. A malformed URL or parameter is a {@linkcode UsageError}.
 *
 * The URL may name several brokers ({@linkcode brokerUrls}), such as the nodes of a cluster:
 * they are tried in order, starting at `startAt`, until one answers, each within `timeout`.
 * Any failure is thrown as a {@linkcode BrokerError} with a one-line message naming the masked
 * URL (or each URL) and a hint; a timed-out or aborted attempt releases its socket.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connection.ts";
 *
 * const connection = await connect({ url: "amqp://guest:guest@127.0.0.1:5672" });
 * const channel = await connection.channel();
 * await connection.close();
 * ```
 */
export async function connect(options: ConnectOptions = {}): Promise<AMQPBaseClient> {
  const urls = brokerUrls(resolveUrl(options.url));
  const start = (options.startAt ?? 0) % urls.length;
  const failures: BrokerError[] = [];
  for (let i = 0; i < urls.length; i++) {
    const index = (start + i) % urls.length;
    try {
      const connection = await connectTo(urls[index]!, options);
      reached.set(connection, { url: maskUrl(urls[index]!), index });
      return connection;
    } catch (error) {
      if (!(error instanceof BrokerError) || options.signal?.aborted) throw error;
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  throw new BrokerError(
    `Cannot connect to any of ${urls.length} brokers: ` +
      failures.map((error) => error.message.replace(/^Cannot (connect to|log in to) /, "")).join(
        "; ",
      ),
    { cause: failures[0] },
  );
}

/** Connects to one broker. */
async function connectTo(url: string, options: ConnectOptions): Promise<AMQPBaseClient> {
  const parsed = parseBrokerUrl(url);
  const query = urlSettings(parsed);
  const timeout = options.timeout ?? query.timeout ?? 5000;
  const tls = parsed.protocol === "amqps:";
  // A password in the URL is the one meant for that broker; the environment's only fills in
  // where the URL has none, so that it is never sent to a host it was not given for.
  const password = parsed.password ? decoded(parsed.password, url) : await passwordFromEnv();
  const caFile = options.caFile ?? envVar("AMQP_CA_FILE") ?? query.caFile;
  const client = new DenoAMQPClient(
    decodeURIComponent(parsed.pathname.slice(1)) || "/",
    decoded(parsed.username, url) || "guest",
    password || "guest",
    {
      hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
      port: Number(parsed.port) || (tls ? 5671 : 5672),
      tls,
      caCerts: caFile
        ? [new TextDecoder().decode(await readInputFile("CA file", caFile))]
        : undefined,
      name: options.name ?? query.name,
      heartbeat: options.heartbeat ?? query.heartbeat ?? 60,
      frameMax: checkedFrameMax(options.frameMax ?? query.frameMax ?? 8192),
      channelMax: options.channelMax ?? query.channelMax ?? 0,
      logger: options.logger,
      maxBodySize: options.maxBodySize,
    },
  );
  const timer = AbortSignal.timeout(timeout);
  const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
  try {
    await client.connect(signal);
    // The frames after connection.open-ok came in the same read and ended it: still a failed
    // connect, not a dead connection handed over.
    if (client.closed) throw client.failure ?? new BrokerError("Connection closed at once");
    return client;
  } catch (error) {
    if (timer.aborted) {
      throw new BrokerError(
        `Cannot connect to ${maskUrl(url)}: no answer within ${timeout / 1000} s` +
          " (is it an AMQP port, and is the broker healthy?)",
        { cause: error },
      );
    }
    throw describeConnectError(error, url);
  }
}

/** `AMQP_PASSWORD_FILE`'s contents (less a final newline), else `AMQP_PASSWORD`. */
async function passwordFromEnv(): Promise<string | undefined> {
  const file = envVar("AMQP_PASSWORD_FILE");
  if (!file) return envVar("AMQP_PASSWORD");
  const text = new TextDecoder().decode(await readInputFile("AMQP_PASSWORD_FILE", file));
  return text.replace(/\r?\n$/, "");
}

/** A %-encoded part of a URL, decoded; a malformed escape is a usage error. */
function decoded(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(
      `Cannot use the broker URL "${maskUrl(url)}": a malformed %-escape in its user or password`,
    );
  }
}

/** Parses one broker URL; an error shows `shown` (the whole list it came from), masked. */
function parseBrokerUrl(url: string, shown = url): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `Cannot parse the broker URL "${
        maskUrl(shown)
      }": expected amqp://user:password@host:port/vhost (a password's "/", "@" or "," as %2F, ` +
        `%40, %2C)`,
    );
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    throw new UsageError(
      `Cannot use the broker URL "${maskUrl(shown)}": the scheme must be amqp:// or amqps://`,
    );
  }
  return parsed;
}

/** What the URL's query parameters set. */
interface UrlSettings {
  timeout?: number;
  heartbeat?: number;
  channelMax?: number;
  frameMax?: number;
  name?: string;
  caFile?: string;
}

/** Parameters refused, and why: each would change security or behaviour if it were ignored. */
const REFUSED: Record<string, string> = {
  insecure: "certificates are always checked here; trust your CA with --ca FILE instead",
  verify: "certificates are always checked here; trust your CA with --ca FILE instead",
  certfile: "client certificates are not supported",
  keyfile: "client certificates are not supported",
  server_name_indication: "the server name is always the URL's host",
};

/**
 * The query parameters of RabbitMQ's URI spec and of the client library's AMQPClient, each
 * either understood or refused with one line.
 */
function urlSettings(url: URL): UrlSettings {
  const settings: UrlSettings = {};
  for (const [name, value] of url.searchParams) {
    const number = (max: number, min = 0) => {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
        throw new UsageError(
          `Cannot use ${name}=${value} in the broker URL: expected a number from ${min} to ${max}`,
        );
      }
      return n;
    };
    if (name === "heartbeat") settings.heartbeat = number(65535);
    else if (name === "connection_timeout") settings.timeout = number(2 ** 31 - 1);
    else if (name === "channel_max" || name === "channelMax") settings.channelMax = number(65535);
    else if (name === "frame_max" || name === "frameMax") {
      settings.frameMax = number(FRAME_MAX_LIMIT, 8192);
    } else if (name === "name") settings.name = value;
    else if (name === "cacertfile") settings.caFile = value;
    else if (name === "auth_mechanism" && value.toLowerCase() === "plain") continue;
    else if (name === "auth_mechanism") {
      throw new UsageError(
        `Cannot use auth_mechanism=${value} in the broker URL: only plain is supported`,
      );
    } else {
      throw new UsageError(
        `Cannot use ${name} in the broker URL: ${
          REFUSED[name] ??
            "unknown (known: heartbeat, connection_timeout, channel_max, frame_max, name, " +
              "auth_mechanism, cacertfile)"
        }`,
      );
    }
  }
  return settings;
}

/**
 * The largest frame_max proposed: the read buffer holds two frames, so this bounds what a
 * connection sets aside (RabbitMQ itself offers 131072 unless configured otherwise).
 */
const FRAME_MAX_LIMIT = 1024 * 1024;

function checkedFrameMax(frameMax: number): number {
  if (!Number.isInteger(frameMax) || frameMax < 8192 || frameMax > FRAME_MAX_LIMIT) {
    throw new UsageError(
      `Cannot use frameMax ${frameMax}: expected a whole number of bytes from 8192 to ` +
        FRAME_MAX_LIMIT,
    );
  }
  return frameMax;
}

/** Turns what the socket or the broker said into one line with a hint. */
function describeConnectError(error: unknown, url: string): BrokerError {
  const masked = maskUrl(url);
  const text = error instanceof Error ? error.message : String(error);
  let line: string;
  if (/^The (server|broker) /.test(text)) {
    // The transport's own finding about the peer: already one line that says what it is.
    line = `Cannot connect to ${masked}: ${firstLine(text)}`;
  } else if (error instanceof Deno.errors.ConnectionRefused) {
    line = `Cannot connect to ${masked}: connection refused. Is RabbitMQ running?` +
      ` Start one with "docker compose up -d" or point AMQP_URL at a broker`;
  } else if (/ACCESS_REFUSED|\(403\)/.test(text)) {
    line = `Cannot log in to ${masked}: access refused (403).` +
      " Check the user name and password (in the URL, AMQP_PASSWORD or AMQP_PASSWORD_FILE)";
  } else if (/NOT_ALLOWED|\(530\)/.test(text)) {
    const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || "/";
    line = `Cannot open vhost "${vhost}" on ${masked}: it does not exist or the user may not` +
      ` use it (530). Create it with "rabbitmqctl add_vhost" or fix the URL path`;
  } else if (/lookup|dns|resolve|Name or service not known/i.test(text)) {
    line = `Cannot connect to ${masked}: unknown host. Check the host name in the URL`;
  } else if (/Connection closed by the broker|reset by peer/i.test(text)) {
    line = `Cannot connect to ${masked}: the broker closed the connection during the handshake` +
      (new URL(url).protocol === "amqp:" ? " (is this a TLS port? then use amqps://)" : "");
  } else if (/InvalidContentType|corrupt message|wrong version number/i.test(text)) {
    line = `Cannot connect to ${masked}: the server does not speak TLS on this port` +
      " (is it a plain AMQP port? then use amqp://, usually on port 5672)";
  } else if (/certificate|tls|handshake|UnknownIssuer/i.test(text)) {
    line = `Cannot connect to ${masked}: TLS failed (${firstLine(text)}).` +
      " Check the CA file and the host name";
  } else {
    line = `Cannot connect to ${masked}: ${firstLine(text)}`;
  }
  return new BrokerError(line, { cause: error });
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.replace(/\s+$/, "");
}
