// Consumer deliveries read in place (lib/transport/deliveries.ts) without a broker: a
// basic.deliver, its content header and body make the message the client's own parser makes,
// with 64-bit values read without a BigInt, and bodyString() gives the client's text.

import { deepEqual, equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { DeliveryAssembler } from "../../lib/transport/deliveries.ts";
import { textOf } from "../../lib/transport/text.ts";
import { encodeContentHeader, encodeMethod } from "../../lib/transport/frames.ts";

const channel = { id: 1 } as unknown as AMQPChannel;

/** A delivery's three payloads put through the assembler; returns the message. */
function deliver(tag: number | bigint, properties: Uint8Array, body: Uint8Array): AMQPMessage {
  const assembler = new DeliveryAssembler();
  const method = encodeMethod(1, "basic.deliver", "ctag", tag, 1, "ex", "key");
  assembler.deliver(channel, method, new DataView(method.buffer), 7);
  const header = encodeContentHeader(1, body.length, properties);
  const message = assembler.header(1, header, new DataView(header.buffer), 7, 131072);
  if (body.length === 0) return message!;
  const frame = new Uint8Array(body.length + 8);
  frame.set(body, 7);
  return assembler.body(1, frame, 7, body.length)!;
}

/** Properties encoded by the client's own writer. */
function encoded(properties: Parameters<AMQPView["setProperties"]>[1]): Uint8Array {
  const view = new AMQPView(new ArrayBuffer(4096));
  return new Uint8Array(view.buffer, 0, view.setProperties(0, properties)).slice();
}

Deno.test("DeliveryAssembler makes the message the client makes, 64-bit values included", () => {
  for (const tag of [1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
    const message = deliver(BigInt(tag), new Uint8Array([0, 0]), new TextEncoder().encode("hi"));
    ok(message instanceof AMQPMessage);
    deepEqual(
      [message.deliveryTag, message.consumerTag, message.redelivered, message.exchange],
      [tag, "ctag", true, "ex"],
    );
    deepEqual([message.routingKey, message.bodySize, message.properties], ["key", 2, {}]);
  }
  const signed = [
    -1,
    -(2 ** 32),
    -(2 ** 53) + 1,
    2 ** 53 - 1,
    2 ** 60,
    -(2 ** 63),
    2 ** 62 + 2 ** 20,
  ];
  for (const value of signed) {
    const headers = { n: BigInt(value) } as unknown as Record<string, number>;
    const properties = encoded({ headers, timestamp: new Date(0) });
    const message = deliver(1, properties, new Uint8Array(0));
    equal(message.properties.headers?.n, Number(BigInt(value)));
  }
});

Deno.test("bodyString() of a delivery is the client's Buffer text, BOM and bad bytes too", () => {
  const samples = [
    [],
    [0x68, 0x69],
    [0xef, 0xbb, 0xbf, 0x41], // a byte-order mark, kept
    [0xc3, 0xa9, 0x20, 0xe2, 0x82, 0xac], // é €
    [0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf5, 0x41, 0xe2, 0x82], // overlong, surrogate, >U+10FFFF, cut
    [0xf0, 0x9f, 0x98, 0x80],
    Array.from({ length: 200 }, (_, i) => i % 128),
    Array.from({ length: 64 }, (_, i) => 0x30 + (i % 10)),
  ].map((bytes) => new Uint8Array(bytes));
  for (const bytes of samples) {
    equal(textOf(bytes), Buffer.from(bytes).toString(), `bytes ${[...bytes]}`);
    const message = deliver(1, new Uint8Array([0, 0]), bytes);
    equal(message.bodyString(), Buffer.from(bytes).toString());
    deepEqual(message.body, bytes);
  }
});

Deno.test("short bodies share slabs, yet each stays its own while the read buffer is reused", () => {
  const assembler = new DeliveryAssembler();
  const frame = new Uint8Array(2048); // one read buffer, overwritten by every delivery
  const kept: [AMQPMessage, Uint8Array][] = [];
  // Sizes across the short-body limit, enough of them to fill several 16 KiB slabs.
  for (let i = 0; i < 3000; i++) {
    const size = [0, 1, 16, 100, 511, 512, 513, 1500][i % 8]!;
    const body = new Uint8Array(size).map((_, j) => (i * 31 + j) & 0xff);
    const method = encodeMethod(1, "basic.deliver", "ctag", i + 1, 0, "", "q");
    assembler.deliver(channel, method, new DataView(method.buffer), 7);
    const header = encodeContentHeader(1, size, new Uint8Array([0, 0]));
    let message = assembler.header(1, header, new DataView(header.buffer), 7, 131072);
    if (size > 0) {
      frame.set(body, 7);
      message = assembler.body(1, frame, 7, size);
      frame.fill(0xee); // the next read
    }
    kept.push([message!, body]);
  }
  for (const [message, body] of kept) {
    deepEqual(message.body, body, `delivery ${message.deliveryTag}`);
    equal(message.bodySize, body.length);
  }
});
