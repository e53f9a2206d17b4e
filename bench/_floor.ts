// The tutorial's floor, for bench/tutorial.ts: the tutorial's exchange with the broker and
// nothing else, on a raw socket, as a whole process, so that a tutorial script's time can be
// read as the broker's round trips (the floor) plus the client's share (start-up, imports,
// connect). It connects, declares the queue passively, then as producer.ts publishes COUNT
// confirmed messages, or as consumer.ts takes COUNT deliveries at prefetch 1 (or by basic.get),
// acking each, prints a line per message as they do, and closes.
//
//   deno run --allow-net --allow-env=AMQP_URL bench/_floor.ts produce|consume|get QUEUE COUNT

import {
  encodeBody,
  encodeContentHeader,
  encodeMethod,
  FrameType,
} from "../lib/transport/frames.ts";
import { rawConfirms, rawConfirmSelect, RawConnection } from "./_raw.ts";

const [style, queue = "hello", count = 100] = [Deno.args[0], Deno.args[1], Number(Deno.args[2])];
const raw = await RawConnection.open(
  Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672",
);
await raw.write(encodeMethod(1, "queue.declare", queue, 1, {})); // passive: as it is
await raw.expect(50, 11);
const lines: string[] = [];
const text = new TextDecoder();

if (style === "produce") {
  await rawConfirmSelect(raw);
  const frames: Uint8Array[] = [];
  const method = encodeMethod(1, "basic.publish", "", queue, 0);
  for (let i = 0; i < count; i++) {
    const body = new TextEncoder().encode(`${i}`);
    frames.push(method, encodeContentHeader(1, body.length, new Uint8Array([0x10, 0, 2])));
    frames.push(encodeBody(1, body));
    lines.push(` [x] Sent '${i}'`);
  }
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (bytes.set(f, at), at + f.length), 0);
  await raw.write(bytes);
  await rawConfirms(raw, count);
} else {
  // One at a time: a delivery (or a get-ok), its body, the ack, the next.
  if (style === "consume") {
    await raw.write(encodeMethod(1, "basic.qos", 0, 1, 0));
    await raw.expect(60, 11);
    await raw.write(encodeMethod(1, "basic.consume", queue, "", 0, {}));
  }
  for (let taken = 0, tag = 0; taken < count;) {
    if (style === "get") await raw.write(encodeMethod(1, "basic.get", queue, 0));
    let body = false;
    while (!body) {
      await raw.read(({ type, view, start, size }) => {
        if (type === FrameType.Method && view.getUint16(start) === 60) {
          const method = view.getUint16(start + 2);
          if (method === 60) tag = Number(view.getBigUint64(start + 5 + view.getUint8(start + 4)));
          if (method === 71) tag = Number(view.getBigUint64(start + 4));
        } else if (type === FrameType.Body) {
          lines.push(` [x] Received '${text.decode(new Uint8Array(view.buffer, start, size))}'`);
          body = true;
        }
      });
    }
    await raw.write(encodeMethod(1, "basic.ack", tag, 0));
    taken++;
  }
}
console.log(lines.join("\n"));
await raw.write(encodeMethod(0, "connection.close", 200, "", 0, 0));
await raw.expect(10, 51);
raw.close();
