// The frame codec (lib/transport/frames.ts) without a broker: every method it knows encodes to
// a frame whose fields end exactly at its end, and a frame one byte short or long, a table
// whose entry overruns it, or tables nested past the limit are each named as what they are.

import { deepEqual, match, ok } from "node:assert/strict";
import {
  encodeContentHeader,
  encodeFrame,
  encodeMethod,
  encodeTable,
  type FieldValue,
  frameProblem,
  FrameType,
  METHODS,
} from "../../lib/transport/frames.ts";

/** A value of each field kind, as encodeMethod takes them. */
const SAMPLE: Record<string, FieldValue> = {
  octet: 7,
  bits: 3,
  short: 513,
  long: 70_000,
  longlong: 2 ** 40,
  shortstr: "héllo",
  longstr: "a longer string",
  table: { a: "b", n: 1, f: 1.5, t: true, x: new Uint8Array([1, 2]), nested: { deep: "yes" } },
};

/** What frameProblem says of a whole frame. */
const problemOf = (frame: Uint8Array) =>
  frameProblem(new DataView(frame.buffer, frame.byteOffset), frame[0]!, 7, frame.length - 8);

Deno.test("every AMQP 0-9-1 method encodes to a frame whose fields end at its end", () => {
  ok(METHODS.length >= 60, `${METHODS.length} methods`);
  for (const spec of METHODS) {
    const values = spec.fields.filter((kind) => !kind.startsWith("reserved")).map((k) =>
      SAMPLE[k]!
    );
    const frame = encodeMethod(3, spec.name, ...values);
    deepEqual(problemOf(frame), undefined, spec.name);
    const view = new DataView(frame.buffer);
    deepEqual([view.getUint16(1), view.getUint16(7), view.getUint16(9)], [
      3,
      spec.classId,
      spec.methodId,
    ]);
  }
});

Deno.test("a frame one byte short or one byte long is named, with its method", () => {
  const frame = encodeMethod(1, "queue.declare-ok", "q", 5, 0);
  const long = encodeFrame(FrameType.Method, 1, new Uint8Array([...frame.subarray(7, -1), 0]));
  deepEqual(problemOf(long), "a queue.declare-ok frame of 15 bytes whose fields take 14");
  const short = encodeFrame(FrameType.Method, 1, frame.subarray(7, -2));
  deepEqual(problemOf(short), "a queue.declare-ok frame of 13 bytes whose fields run past its end");
});

Deno.test("content headers: properties by their flags, tables entry by entry, nesting bounded", async (t) => {
  await t.step("headers and every other property: fits exactly", () => {
    const table = encodeTable({ "x-stream-offset": 42, who: "me" });
    const properties = new Uint8Array([
      0xff,
      0xf8,
      1,
      0x61,
      1,
      0x62,
      ...table,
      2,
      9,
      1,
      0x63,
      1,
      0x64,
      1,
      0x65,
      1,
      0x66,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      1,
      0x67,
      1,
      0x68,
      1,
      0x69,
    ]);
    deepEqual(problemOf(encodeContentHeader(1, 10, properties)), undefined);
  });
  await t.step("an entry that runs past its table", () => {
    const table = new Uint8Array([0, 0, 0, 6, 1, 0x6b, 0x53, 0, 0, 0, 99]);
    match(
      problemOf(encodeContentHeader(1, 1, new Uint8Array([0x20, 0, ...table])))!,
      /content header frame of \d+ bytes whose fields run past its end/,
    );
  });
  await t.step("a field type nobody knows", () => {
    const table = new Uint8Array([0, 0, 0, 3, 1, 0x6b, 0x3f]);
    match(problemOf(encodeContentHeader(1, 1, new Uint8Array([0x20, 0, ...table])))!, /run past/);
  });
  await t.step("tables nested 40 deep", () => {
    let value: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) value = { t: value };
    const table = encodeTable(value as Parameters<typeof encodeTable>[0]);
    match(problemOf(encodeContentHeader(1, 1, new Uint8Array([0x20, 0, ...table])))!, /run past/);
  });
  await t.step("cluster-id, which the client does not read", () => {
    match(
      problemOf(encodeContentHeader(1, 1, new Uint8Array([0x00, 0x04, 1, 0x63])))!,
      /property flags 0x4 \(cluster-id/,
    );
  });
});

Deno.test("frames the client must never read as more frames: heartbeats with bytes, unknown classes", () => {
  match(problemOf(encodeFrame(FrameType.Heartbeat, 0, new Uint8Array(2)))!, /heartbeat of 2 bytes/);
  match(
    problemOf(encodeFrame(FrameType.Method, 1, new Uint8Array([0, 77, 0, 1])))!,
    /unknown class/,
  );
  deepEqual(problemOf(encodeFrame(FrameType.Body, 1, new Uint8Array(100))), undefined);
});
