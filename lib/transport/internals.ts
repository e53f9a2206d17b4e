/**
 * The one place that touches what the client library keeps to itself: an AMQPChannel's count
 * of publishes in confirm mode (`confirmId`, 0 until confirm.select-ok) and its list of those
 * awaiting a confirm (`unconfirmedPublishes`), which the transport's channel reads and writes so
 * that its own publishes and the client's stay one sequence; and an AMQPMessage's raw body
 * (`_rawBytes`, which `bodyString()` reads, and `bodyPos`), which the transport's delivery
 * reader fills. They are checked the first time: a version of the client that moved them fails
 * there, in one line, rather than confirming the wrong messages or losing bodies later. The
 * client is pinned in deno.json for this reason.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import type { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";

/** A publish awaiting its confirm, as the client keeps it: its tag, and its promise's ends. */
export type Unconfirmed = [number, (tag: number) => void, (error?: Error) => void];

/** The fields of an AMQPChannel the transport uses and the client's types hide. */
export interface ChannelInternals {
  /** The next publish's delivery tag in confirm mode; 0 while not in confirm mode. */
  confirmId: number;
  /** The client's own publishes awaiting a confirm, oldest first. */
  readonly unconfirmedPublishes: Unconfirmed[];
}

/** The fields of an AMQPMessage the transport fills and the client's types hide. */
export interface MessageInternals {
  /** The body's bytes, as the client's parser keeps them (bodyString() decodes these). */
  _rawBytes: Uint8Array | null;
  /** How much of the body has arrived. */
  bodyPos: number;
}

/** The client library version these fields were read from. */
const KNOWN_VERSION = "4.1.1";
let checked = false;
let messageChecked = false;

/** The one line an upgrade that moved a field gets. */
function moved(fields: string): Error {
  return new Error(
    `The AMQP client library has no ${fields} fields: lib/transport needs ` +
      `@cloudamqp/amqp-client ${KNOWN_VERSION} (pinned in deno.json)`,
  );
}

/**
 * `channel`'s hidden fields, checked the first time: throws an Error that says what to do if
 * the client library no longer has them.
 */
export function internals(channel: AMQPChannel): ChannelInternals {
  const fields = channel as unknown as ChannelInternals;
  if (!checked) {
    if (typeof fields.confirmId !== "number" || !Array.isArray(fields.unconfirmedPublishes)) {
      throw moved("channel confirmId/unconfirmedPublishes");
    }
    checked = true;
  }
  return fields;
}

/** `message`'s hidden fields, checked the first time. */
export function messageInternals(message: AMQPMessage): MessageInternals {
  const fields = message as unknown as MessageInternals;
  if (!messageChecked) {
    if (!("_rawBytes" in fields) || typeof fields.bodyPos !== "number") {
      throw moved("message _rawBytes/bodyPos");
    }
    messageChecked = true;
  }
  return fields;
}
