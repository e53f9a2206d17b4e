/**
 * Connecting to RabbitMQ on Deno's own sockets (lib/transport): one broker or the first of a
 * list that answers, and a failure as a {@linkcode ConnectError} that says which broker and why.
 *
 * @module
 */

import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { DenoAMQPClient, type Logger } from "../transport/client.ts";
import { BrokerError, ConnectError, type ConnectFailure } from "./errors.ts";
import { readInputFile } from "./files.ts";
import { replyCode } from "./errors.ts";
import { brokerUrls, checkedFrameMax, decoded, DEFAULT_URL, maskUrl } from "./urls.ts";
import { parseBrokerUrl, urlSettings } from "./urls.ts";

export type { Logger } from "../transport/client.ts";

/**
 * Options for {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "./connect.ts";
 *
 * const options: ConnectOptions = { url: "amqp://guest:guest@127.0.0.1:5672", name: "worker-1" };
 * ```
 */
export interface ConnectOptions {
  /**
   * The broker URL, or a comma-separated list of them ({@linkcode brokerUrls}).
   * Default: {@linkcode DEFAULT_URL}.
   */
  url?: string | undefined;
  /**
   * The password for a URL that has none (`amqp://user@host`), or a function that finds it,
   * called only for such a URL (so that a secret is read only where it is needed). Default:
   * none ("guest").
   */
  password?: string | (() => string | undefined | Promise<string | undefined>);
  /**
   * A PEM file of CA certificates to trust for `amqps://`, besides the system's (reading it
   * needs `--allow-read` for it), or a function that names it, called when connecting.
   * Default: the URL's `cacertfile`, else none.
   */
  caFile?: string | (() => string | undefined);
  /**
   * Milliseconds allowed for the TCP connect and the AMQP handshake together.
   * Default: the URL's `connection_timeout`, else 5000.
   */
  timeout?: number;
  /** Heartbeat interval in seconds; 0 turns them off. Default: the URL's `heartbeat`, else 60. */
  heartbeat?: number;
  /** Connection name shown in the management UI. Default: the URL's `name`, else none. */
  name?: string;
  /**
   * Largest frame, in bytes, proposed to the broker: 8192 to 1 MiB. Default: the URL's
   * `frame_max` (or the client library's `frameMax`), else 8192.
   */
  frameMax?: number;
  /** Most channels; 0 takes the broker's limit. Default: the URL's `channel_max`, else 0. */
  channelMax?: number;
  /** Hears connects, disconnects and failures, as the client library's `logger`. Default: none. */
  logger?: Logger;
  /** Largest message body accepted from the broker, in bytes. Default: 128 MiB. */
  maxBodySize?: number;
  /** Aborts a connect still in progress. Default: none. */
  abort?: AbortSignal;
}

/** The masked URL of the broker each open connection reached, and its place in the list. */
const reached = new WeakMap<AMQPBaseClient, { url: string; index: number }>();

/**
 * The broker a connection from {@linkcode connect} reached, as a masked URL: with a list of
 * brokers, which one of them.
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
 * Opens a connection to RabbitMQ on Deno's own sockets, with TCP_NODELAY on. The URL follows
 * RabbitMQ's URI spec, with its query parameters `heartbeat`, `connection_timeout`,
 * `channel_max`, `frame_max`, `auth_mechanism` (`plain` only) and `cacertfile`, and the client
 * library's `name`, `frameMax` and `channelMax`; any other parameter is refused rather than
 * ignored. A password the URL carries is the one used; `password` (or `passwordFile`) fills in
 * only for a URL without one. Malformed configuration is a {@linkcode ConfigError}.
 *
 * With several brokers, they are tried in order until one answers, each within `timeout`. A
 * failure is a {@linkcode ConnectError} naming the masked URL (or each one); a timed-out or
 * aborted attempt releases its socket.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 *
 * const connection = await connect({ url: "amqp://guest:guest@127.0.0.1:5672" });
 * const channel = await connection.channel();
 * await connection.close();
 * ```
 */
export function connect(options: ConnectOptions = {}): Promise<AMQPBaseClient> {
  return connectFrom(options, 0);
}

/**
 * {@linkcode connect}, trying a list from the broker at `first` on: a reconnect starts at the
 * broker after the one lost.
 */
export async function connectFrom(
  options: ConnectOptions,
  first: number,
): Promise<AMQPBaseClient> {
  const urls = brokerUrls(options.url ?? DEFAULT_URL);
  const start = first % urls.length;
  const failures: ConnectError[] = [];
  for (let i = 0; i < urls.length; i++) {
    const index = (start + i) % urls.length;
    try {
      const connection = await connectTo(urls[index]!, options);
      reached.set(connection, { url: maskUrl(urls[index]!), index });
      return connection;
    } catch (error) {
      if (!(error instanceof ConnectError) || options.abort?.aborted) throw error;
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  const reasons = new Set(failures.map((failure) => failure.reason));
  throw new ConnectError(
    failures.map((failure) => failure.url).join(","),
    reasons.size === 1 ? failures[0]!.reason : "other",
    `Cannot connect to any of ${urls.length} brokers: ` +
      failures.map((error) => error.message.replace(/^Cannot (connect to|log in to) /, ""))
        .join("; "),
    { cause: failures[0] },
  );
}

/** Where in its list of brokers a connection from {@linkcode connect} is, if it is one. */
export function brokerIndex(connection: AMQPBaseClient): number | undefined {
  return reached.get(connection)?.index;
}

/**
 * Connects, runs `fn` on a channel, and closes the connection whatever happens: for short jobs
 * such as sending one message.
 *
 * @example
 * ```ts ignore
 * await withChannel((channel) => channel.basicPublish("", "hello", "hi"), { name: "once" });
 * ```
 */
export async function withChannel<T>(
  fn: (channel: AMQPChannel) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const connection = await connect(options);
  try {
    return await fn(await connection.channel());
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Connects to one broker. */
async function connectTo(url: string, options: ConnectOptions): Promise<AMQPBaseClient> {
  const parsed = parseBrokerUrl(url);
  const query = urlSettings(parsed);
  const timeout = options.timeout ?? query.timeout ?? 5000;
  const tls = parsed.protocol === "amqps:";
  const password = parsed.password
    ? decoded(parsed.password, url)
    : typeof options.password === "function"
    ? await options.password()
    : options.password;
  const caFile = (typeof options.caFile === "function" ? options.caFile() : options.caFile) ??
    query.caFile;
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
  const signal = options.abort ? AbortSignal.any([options.abort, timer]) : timer;
  try {
    await client.connect(signal);
    // The frames after connection.open-ok came in the same read and ended it: still a failed
    // connect, not a dead connection handed over.
    if (client.closed) throw client.failure ?? new BrokerError("Connection closed at once");
    return client;
  } catch (error) {
    if (timer.aborted) {
      throw new ConnectError(
        maskUrl(url),
        "timeout",
        `Cannot connect to ${maskUrl(url)}: no answer within ${timeout / 1000} s` +
          " (is it an AMQP port, and is the broker healthy?)",
        { cause: error },
      );
    }
    if (options.abort?.aborted) throw error;
    throw describeConnectError(error, url);
  }
}

/** The first line of `text`, without its line end. */
function firstLineOf(text: string): string {
  return text.split(/\r?\n/)[0]!.replace(/\s+$/, "");
}

/** Turns what the socket or the broker said into a ConnectError with one line. */
function describeConnectError(error: unknown, url: string): ConnectError {
  const masked = maskUrl(url);
  const text = error instanceof Error ? error.message : String(error);
  const code = replyCode(error);
  let reason: ConnectFailure;
  let line: string;
  if (/^The (server|broker) /.test(text)) {
    // The transport's own finding about the peer: already one line that says what it is.
    [reason, line] = ["protocol", `Cannot connect to ${masked}: ${firstLineOf(text)}`];
  } else if (error instanceof Deno.errors.ConnectionRefused) {
    [reason, line] = ["refused", `Cannot connect to ${masked}: connection refused`];
  } else if (code === 403) {
    [reason, line] = ["access-refused", `Cannot log in to ${masked}: access refused (403)`];
  } else if (code === 530) {
    const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || "/";
    reason = "vhost";
    line = `Cannot open vhost "${vhost}" on ${masked}: it does not exist or the user may not` +
      ` use it (530). Create it with "rabbitmqctl add_vhost" or fix the URL path`;
  } else if (/lookup|dns|resolve|Name or service not known/i.test(text)) {
    reason = "unknown-host";
    line = `Cannot connect to ${masked}: unknown host. Check the host name in the URL`;
  } else if (/Connection closed by the broker|reset by peer/i.test(text)) {
    reason = "closed-in-handshake";
    line = `Cannot connect to ${masked}: the broker closed the connection during the handshake` +
      (new URL(url).protocol === "amqp:" ? " (is this a TLS port? then use amqps://)" : "");
  } else if (/InvalidContentType|corrupt message|wrong version number/i.test(text)) {
    reason = "not-tls";
    line = `Cannot connect to ${masked}: the server does not speak TLS on this port` +
      " (is it a plain AMQP port? then use amqp://, usually on port 5672)";
  } else if (/certificate|tls|handshake|UnknownIssuer/i.test(text)) {
    reason = "tls";
    line = `Cannot connect to ${masked}: TLS failed (${firstLineOf(text)}).` +
      " Check the CA file and the host name";
  } else {
    [reason, line] = ["other", `Cannot connect to ${masked}: ${firstLineOf(text)}`];
  }
  return new ConnectError(masked, reason, line, { cause: error });
}
