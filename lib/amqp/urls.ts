/**
 * Broker URLs as RabbitMQ's URI spec writes them (`amqp[s]://user:password@host:port/vhost?…`),
 * and lists of them for a cluster's nodes: parsing them strictly, their query parameters, and
 * showing them with the password masked.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/**
 * The URL used when none is given: RabbitMQ's default user on
 * this machine, as `compose.yaml` and Debian's `rabbitmq-server` set it up.
 *
 * @example
 * ```ts
 * import { DEFAULT_URL, maskUrl } from "./urls.ts";
 *
 * console.log(maskUrl(DEFAULT_URL)); // amqp://guest:****@127.0.0.1:5672
 * ```
 */
export const DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

/**
 * Returns the URL with its password replaced by `****`, safe to print or log; in a list of URLs,
 * every one's. It needs no well-formed URL: every `@` ends a password that starts at the first
 * `:` after the nearest `scheme://` before it (or the start of the text), so a password holding
 * `,`, `/`, `@` or `://` is hidden whole. When in doubt it masks more, never less.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { maskUrl } from "./urls.ts";
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
 * import { brokerUrls } from "./urls.ts";
 *
 * deepEqual(brokerUrls("amqp://u:p@h1:5672/v,h2:5673"), [
 *   "amqp://u:p@h1:5672/v",
 *   "amqp://u:p@h2:5673/v",
 * ]);
 * ```
 */
export function brokerUrls(url: string): string[] {
  const [first, ...rest] = splitList(url).map((part) => part.trim());
  if (!first) throw new ConfigError(`Cannot use an empty broker URL: expected amqp://host:port`);
  // A part that does not parse is shown as the whole list, masked: a part alone can be a
  // piece of a password that the list's masking would have hidden.
  const base = parseBrokerUrl(first, url);
  if (rest.length === 0) return [first];
  return [
    first,
    ...rest.map((entry) => {
      if (!entry) {
        throw new ConfigError(`Cannot use "${maskUrl(url)}": an empty entry between commas`);
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
 * {@linkcode ConfigError} that shows it masked, never the password.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { brokerAddresses } from "./urls.ts";
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

/** A %-encoded part of a URL, decoded; a malformed escape is a usage error. */
export function decoded(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigError(
      `Cannot use the broker URL "${maskUrl(url)}": a malformed %-escape in its user or password`,
    );
  }
}

/** Parses one broker URL; an error shows `shown` (the whole list it came from), masked. */
export function parseBrokerUrl(url: string, shown = url): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `Cannot parse the broker URL "${
        maskUrl(shown)
      }": expected amqp://user:password@host:port/vhost (a password's "/", "@" or "," as %2F, ` +
        `%40, %2C)`,
    );
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    throw new ConfigError(
      `Cannot use the broker URL "${maskUrl(shown)}": the scheme must be amqp:// or amqps://`,
    );
  }
  return parsed;
}

/** What the URL's query parameters set. */
export interface UrlSettings {
  timeout?: number;
  heartbeat?: number;
  channelMax?: number;
  frameMax?: number;
  name?: string;
  caFile?: string;
}

/** Parameters refused, and why: each would change security or behaviour if it were ignored. */
const REFUSED: Record<string, string> = {
  insecure: "certificates are always checked here; trust your CA with a CA file instead",
  verify: "certificates are always checked here; trust your CA with a CA file instead",
  certfile: "client certificates are not supported",
  keyfile: "client certificates are not supported",
  server_name_indication: "the server name is always the URL's host",
};

/**
 * The query parameters of RabbitMQ's URI spec and of the client library's AMQPClient, each
 * either understood or refused with one line.
 */
export function urlSettings(url: URL): UrlSettings {
  const settings: UrlSettings = {};
  for (const [name, value] of url.searchParams) {
    const number = (max: number, min = 0) => {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
        throw new ConfigError(
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
      throw new ConfigError(
        `Cannot use auth_mechanism=${value} in the broker URL: only plain is supported`,
      );
    } else {
      throw new ConfigError(
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
export const FRAME_MAX_LIMIT = 1024 * 1024;

export function checkedFrameMax(frameMax: number): number {
  if (!Number.isInteger(frameMax) || frameMax < 8192 || frameMax > FRAME_MAX_LIMIT) {
    throw new ConfigError(
      `Cannot use frameMax ${frameMax}: expected a whole number of bytes from 8192 to ` +
        FRAME_MAX_LIMIT,
    );
  }
  return frameMax;
}
