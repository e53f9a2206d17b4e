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
 * And the client's text codecs: its AMQPView reads and writes AMQP strings, and AMQPMessage
 * decodes `bodyString()`, through Node's `Buffer` where there is one, and in Deno touching the
 * global `Buffer` loads Node's buffer module and its dependencies, 13–24 ms of a script's
 * start-up (more than the rest of the tutorial producer's share of its run), and copies each
 * body once more. {@linkcode useDenoStrings} gives them the same text without it.
 *
 * @module
 */

import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { textOf } from "./text.ts";

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

const encoder = new TextEncoder();
let denoStrings = false;

/**
 * Replaces AMQPView's four string methods (short and long strings, read and written) and
 * AMQPMessage's `bodyToString()` with ones that give the same bytes and text as the client's
 * Buffer-based ones (UTF-8, invalid input as U+FFFD, a byte-order mark kept, the same error
 * for a short string over 255 bytes) without touching Node's `Buffer`. Once per process;
 * every AMQPView and AMQPMessage, the client library's own included, uses them from then on.
 */
export function useDenoStrings(): void {
  if (denoStrings) return;
  const view = AMQPView.prototype;
  const message = AMQPMessage.prototype;
  for (const name of ["getShortString", "setShortString", "getLongString", "setLongString"]) {
    if (typeof (view as unknown as Record<string, unknown>)[name] !== "function") {
      throw moved(`AMQPView ${name}`);
    }
  }
  if (typeof message.bodyToString !== "function") throw moved("AMQPMessage bodyToString");
  message.bodyToString = function (): string | null {
    const bytes = messageInternals(this)._rawBytes;
    return bytes ? textOf(bytes) : null;
  };
  view.getShortString = function (at: number): [string, number] {
    const length = this.getUint8(at);
    return [textOf(new Uint8Array(this.buffer, this.byteOffset + at + 1, length)), length + 1];
  };
  view.getLongString = function (at: number, littleEndian?: boolean): [string, number] {
    const length = this.getUint32(at, littleEndian);
    return [textOf(new Uint8Array(this.buffer, this.byteOffset + at + 4, length)), length + 4];
  };
  view.setShortString = function (at: number, text: string): number {
    const length = writeString(this, at + 1, text, 255);
    this.setUint8(at, length);
    return length + 1;
  };
  view.setLongString = function (at: number, text: string, littleEndian?: boolean): number {
    const length = writeString(this, at + 4, text, Infinity);
    this.setUint32(at, length, littleEndian);
    return length + 4;
  };
  denoStrings = true;
}

/**
 * Writes `text` as UTF-8 at `at` and returns its length in bytes: an Error, as the client
 * words it, over `max` (a short string's 255), a RangeError when it does not fit in `view`.
 */
function writeString(view: DataView, at: number, text: string, max: number): number {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const { read, written } = at <= bytes.length
    ? encoder.encodeInto(text, bytes.subarray(at))
    : { read: 0, written: 0 };
  const length = read < text.length ? encoder.encode(text).length : written;
  if (length > max) {
    throw new Error(`Short string too long, ${length} bytes: ${text.substring(0, 255)}...`);
  }
  if (read < text.length) throw new RangeError(`${length} bytes do not fit at offset ${at}`);
  return length;
}
