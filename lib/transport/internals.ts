/**
 * The one place that touches what the client library keeps to itself: an AMQPChannel's count
 * of publishes in confirm mode (`confirmId`, 0 until confirm.select-ok) and its list of those
 * awaiting a confirm (`unconfirmedPublishes`). The transport's channel reads and writes them so
 * that its own publishes and the client's stay one sequence. They are checked when the first
 * channel is made: a version of the client that moved them fails there, in one line, rather
 * than confirming the wrong messages later. The client is pinned in deno.json for this reason.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";

/** A publish awaiting its confirm, as the client keeps it: its tag, and its promise's ends. */
export type Unconfirmed = [number, (tag: number) => void, (error?: Error) => void];

/** The fields of an AMQPChannel the transport uses and the client's types hide. */
export interface ChannelInternals {
  /** The next publish's delivery tag in confirm mode; 0 while not in confirm mode. */
  confirmId: number;
  /** The client's own publishes awaiting a confirm, oldest first. */
  readonly unconfirmedPublishes: Unconfirmed[];
}

/** The client library version these fields were read from. */
const KNOWN_VERSION = "4.1.1";
let checked = false;

/**
 * `channel`'s hidden fields, checked the first time: throws an Error that says what to do if
 * the client library no longer has them.
 */
export function internals(channel: AMQPChannel): ChannelInternals {
  const fields = channel as unknown as ChannelInternals;
  if (!checked) {
    if (typeof fields.confirmId !== "number" || !Array.isArray(fields.unconfirmedPublishes)) {
      throw new Error(
        "The AMQP client library's channel has no confirmId/unconfirmedPublishes fields: " +
          `lib/transport needs @cloudamqp/amqp-client ${KNOWN_VERSION} (pinned in deno.json)`,
      );
    }
    checked = true;
  }
  return fields;
}
