// The client's AMQPView strings without Node's Buffer (lib/transport/internals.ts): the same
// bytes written and the same text read as Buffer gives, the same errors, and no Buffer loaded.

import { Buffer } from "node:buffer";
import { deepEqual, equal, throws } from "node:assert/strict";
import { AMQPMessage } from "@cloudamqp/amqp-client/amqp-message";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { messageInternals, useDenoStrings } from "../../lib/transport/internals.ts";

useDenoStrings();

const TEXTS = [
  "",
  "hello",
  "amq.gen-JzTY20BRgKO-HjmUJj0wLg",
  "héllo wörld",
  "佇列：你好",
  "emoji 🐇 and a lone surrogate \ud800 here",
  "\ufeffa BOM first",
  "x".repeat(255),
  "é".repeat(127), // 254 bytes
];

Deno.test("setShortString/setLongString write what Buffer writes, at an offset", () => {
  for (const text of TEXTS) {
    const utf8 = Buffer.from(text);
    const view = new AMQPView(new ArrayBuffer(600), 8);
    equal(view.setShortString(3, text), utf8.length + 1, text);
    deepEqual([...new Uint8Array(view.buffer, 8 + 3, utf8.length + 1)], [utf8.length, ...utf8]);
    equal(view.setLongString(300, text), utf8.length + 4, text);
    equal(view.getUint32(300), utf8.length);
    deepEqual([...new Uint8Array(view.buffer, 8 + 304, utf8.length)], [...utf8]);
    const little = new AMQPView(new ArrayBuffer(600));
    little.setLongString(0, text, true);
    equal(little.getUint32(0, true), utf8.length);
  }
});

Deno.test("getShortString/getLongString read as Buffer decodes: U+FFFD for bad bytes, BOM kept", () => {
  const samples = [
    ...TEXTS.map((text) => new Uint8Array(Buffer.from(text))),
    new Uint8Array([0xff, 0x41, 0xc3]), // invalid, then a cut sequence
    new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), // a BOM
    new Uint8Array([0xed, 0xa0, 0x80]), // an encoded surrogate
  ];
  for (const bytes of samples) {
    const expected = Buffer.from(bytes).toString();
    const view = new AMQPView(new ArrayBuffer(600), 5);
    new Uint8Array(view.buffer, 5).set([bytes.length, ...bytes], 2);
    deepEqual(view.getShortString(2), [expected, bytes.length + 1]);
    view.setUint32(100, bytes.length);
    new Uint8Array(view.buffer, 5).set(bytes, 104);
    deepEqual(view.getLongString(100), [expected, bytes.length + 4]);
  }
});

Deno.test("bodyString() of any AMQPMessage (basic.get's too) is Buffer's text", () => {
  const bodies = [...TEXTS.map((text) => Buffer.from(text)), [0xff, 0x41, 0xc3], [
    0xef,
    0xbb,
    0xbf,
  ]];
  for (const body of bodies) {
    const message = new AMQPMessage({} as AMQPChannel);
    messageInternals(message)._rawBytes = new Uint8Array(body);
    equal(message.bodyString(), Buffer.from(body).toString());
  }
  equal(new AMQPMessage({} as AMQPChannel).bodyString(), null);
});

Deno.test("a short string over 255 bytes throws the client's error; one past the view a RangeError", () => {
  const view = new AMQPView(new ArrayBuffer(300));
  throws(() => view.setShortString(0, "x".repeat(256)), /^Error: Short string too long, 256 bytes/);
  throws(() => view.setShortString(0, "é".repeat(128)), /Short string too long, 256 bytes/);
  throws(() => view.setShortString(100, "x".repeat(250)), RangeError);
  throws(() => view.setLongString(290, "x".repeat(20)), RangeError);
  throws(() => view.getShortString(299 + 1), RangeError);
});

Deno.test("a connect, a declare, a publish and a get load no Node Buffer", async () => {
  const mod = new URL("../../lib/mod.ts", import.meta.url).href;
  const script = `
    const buffer = Object.getOwnPropertyDescriptor(globalThis, "Buffer");
    let touched = false;
    Object.defineProperty(globalThis, "Buffer", {
      configurable: true,
      get() { touched = true; return buffer.get ? buffer.get.call(globalThis) : buffer.value; },
    });
    const { connect, declareQueue } = await import(${JSON.stringify(mod)});
    const connection = await connect({ name: "view strings test" });
    const channel = await connection.channel();
    const queue = "view-strings-" + crypto.randomUUID();
    await declareQueue(channel, queue, { type: "classic", durable: false });
    await channel.basicPublish("", queue, "héllo", { contentType: "text/plain", headers: { k: "v" } });
    const got = await channel.basicGet(queue, { noAck: true });
    await channel.queueDelete(queue);
    await connection.close();
    console.log(JSON.stringify({ body: got?.bodyString(), type: got?.properties.contentType, touched }));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(code, 0, new TextDecoder().decode(stderr));
  deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
    body: "héllo",
    type: "text/plain",
    touched: false,
  });
});
