// The Deno transport (lib/transport/) against a scripted peer that lies (tests/_fake_broker.ts),
// with no broker: oversized and malformed frames, frames nested in frames, the wrong protocol,
// silence, a flood. Each lie must end the connection with one clear error, soon, without
// unhandled rejections, and without the client buffering what the peer announces.

import { deepEqual, match, ok } from "node:assert/strict";
import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { connect } from "../../lib/mod.ts";
import {
  blocked,
  bytes,
  connectionClose,
  connectionStart,
  contentHeader,
  fakeBroker,
  frame,
  getOk,
  heartbeat,
  method,
  type Peer,
  shortstr,
  u16,
  u32,
  u64,
  unblocked,
} from "../_fake_broker.ts";
import { scriptArgs } from "../_helpers.ts";

/** A pause long enough for the client to take what was sent so far. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Resolves with the error that ends `connection`, or rejects after `ms`. */
function lost(connection: AMQPBaseClient, ms: number): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    connection.onerror = (error) => (clearTimeout(timer), resolve(error));
  });
}

/** What a lying peer's script did to a client: the error that ended it, when, and how. */
async function outcome(
  script: (peer: Peer) => Promise<void>,
  options: { timeout?: number; heartbeat?: number; use?: (c: AMQPBaseClient) => Promise<unknown> } =
    {},
): Promise<{ phase: "connect" | "session"; message: string; ms: number; peer: Peer }> {
  let peer!: Peer;
  await using fake = fakeBroker(async (p) => {
    peer = p;
    await script(p);
  });
  const started = performance.now();
  let connection: AMQPBaseClient;
  try {
    const { timeout = 3000, heartbeat = 60 } = options;
    connection = await connect({ url: fake.url, timeout, heartbeat });
  } catch (error) {
    return {
      phase: "connect",
      message: (error as Error).message,
      ms: performance.now() - started,
      peer,
    };
  }
  const ending = lost(connection, 8000);
  options.use?.(connection).catch(() => {}); // its failure is the connection's, heard above
  const error = await ending;
  const ms = performance.now() - started;
  await fake.done.catch(() => {}); // the script has seen the client go
  return { phase: "session", message: error.message, ms, peer };
}

Deno.test("a peer that lies: each lie ends the connection with one clear error, soon", async (t) => {
  await t.step("a 2 GiB frame announced, then streamed: refused at its header (501)", async () => {
    const result = await outcome(async (peer) => {
      await peer.write(bytes([1], u16(0), u32(2 ** 31 - 1)));
      const chunk = new Uint8Array(64 * 1024);
      while (true) await peer.write(chunk); // until the client hangs up
    });
    deepEqual(result.phase, "connect");
    match(
      result.message,
      /501 FRAME_ERROR\): a frame of 2147483655 bytes, over the frame_max of 8192$/,
    );
    ok(result.ms < 1000, `${result.ms} ms`);
  });

  await t.step(
    "a frame over frame_max after the handshake: 501, and the peer is told so",
    async () => {
      let reply = 0;
      const result = await outcome(async (peer) => {
        await peer.handshake();
        await settle(); // connect() has returned: this is a session
        await peer.write(method(0, 10, 99, new Uint8Array(20_000)));
        const close = await peer.expect(10, 50);
        reply = new DataView(close.payload.buffer).getUint16(4);
      });
      deepEqual(result.phase, "session", result.message);
      match(
        result.message,
        /501 FRAME_ERROR\): a frame of 20012 bytes, over the frame_max of 8192/,
      );
      deepEqual(reply, 501);
    },
  );

  await t.step("a frame that does not end in 0xce: 501", async () => {
    const result = await outcome(async (peer) => {
      await peer.handshake();
      await peer.write(frame(8, 0, new Uint8Array(), 0x00));
      await peer.untilClosed();
    });
    match(result.message, /501 FRAME_ERROR\): a frame that ends in 0x00, not the frame-end 0xce/);
  });

  await t.step("a frame of an unknown type: 501", async () => {
    const result = await outcome(async (peer) => {
      await peer.handshake();
      await peer.write(frame(9, 0, new Uint8Array(4)));
      await peer.untilClosed();
    });
    match(result.message, /501 FRAME_ERROR\): a frame of unknown type 9/);
  });

  await t.step("garbage before the protocol: named with its bytes, at once", async () => {
    const result = await outcome(async (peer) => {
      await peer.write(bytes(new TextEncoder().encode("garbage!"), connectionStart()));
      await peer.untilClosed();
    });
    deepEqual(result.phase, "connect");
    match(
      result.message,
      /The server sent bytes that are not AMQP \(\d+ bytes: 67 61 72 62 61 67 65 21/,
    );
    ok(result.ms < 1000, `${result.ms} ms`);
  });

  await t.step(
    "an HTTP server on the port: said so at once, not after the connect timeout",
    async () => {
      const result = await outcome(async (peer) => {
        await peer.write(
          new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
        );
        await peer.untilClosed();
      });
      match(
        result.message,
        /The server answered in HTTP, not AMQP \(is this the management port\?/,
      );
      ok(result.ms < 1000, `${result.ms} ms`);
    },
  );

  await t.step("a TLS server on the port: said so, with amqps://", async () => {
    const result = await outcome(async (peer) => {
      await peer.write(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
      await peer.untilClosed();
    });
    match(result.message, /The server answered in TLS \(is this a TLS port\? then use amqps:\/\//);
  });

  await t.step("an AMQP 1.0 server: said so", async () => {
    const result = await outcome(async (peer) => {
      await peer.write(new Uint8Array([65, 77, 81, 80, 0, 1, 0, 0]));
      await peer.untilClosed();
    });
    match(result.message, /The server speaks AMQP 1\.0, not 0-9-1/);
  });

  await t.step("half a frame, then silence, in the handshake: the connect timeout", async () => {
    const result = await outcome(async (peer) => {
      await peer.write(connectionStart().subarray(0, 5));
      await peer.untilClosed();
    }, { timeout: 500 });
    match(result.message, /no answer within 0\.5 s/);
    ok(result.ms >= 480 && result.ms < 1500, `${result.ms} ms`);
  });

  await t.step("half a frame, then silence, in a session: the heartbeat timeout", async () => {
    const result = await outcome(async (peer) => {
      await peer.handshake({ heartbeat: 1 });
      await peer.write(heartbeat().subarray(0, 4));
      await peer.untilClosed();
    }, { heartbeat: 1 });
    deepEqual(result.phase, "session");
    match(result.message, /Heartbeat timeout: no data for 2 s/);
    ok(result.ms < 4000, `${result.ms} ms`);
  });

  await t.step("connection.close in the handshake: its reason, as a broker's refusal", async () => {
    const refused = await outcome(async (peer) => {
      await peer.write(connectionStart());
      await peer.expect(10, 11);
      await peer.write(connectionClose(403, "ACCESS_REFUSED - Login was refused"));
      await peer.untilClosed();
    });
    match(
      refused.message,
      /Cannot log in to amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: access refused \(403\)/,
    );
    const other = await outcome(async (peer) => {
      await peer.write(connectionStart());
      await peer.expect(10, 11);
      await peer.write(connectionClose(541, "INTERNAL_ERROR"));
      await peer.untilClosed();
    });
    match(other.message, /connection closed: INTERNAL_ERROR \(541\)$/);
  });

  await t.step("a valid session, then a flood of content nobody announced: 505", async () => {
    const result = await outcome(async (peer) => {
      await peer.handshake();
      await settle();
      const chunk = frame(3, 0, new Uint8Array(8000));
      while (true) await peer.write(chunk);
    });
    deepEqual(result.phase, "session", result.message);
    match(
      result.message,
      /505 UNEXPECTED_FRAME\): a content body on channel 0 that no header announced/,
    );
  });

  await t.step(
    "a message body larger than accepted, announced: 501 before any allocation",
    async () => {
      const result = await outcome(async (peer) => {
        await peer.handshake();
        const channel = await peer.openChannel();
        await peer.expect(60, 70); // basic.get
        await peer.write(bytes(getOk(channel, 1), contentHeader(channel, 2 ** 40)));
        await peer.untilClosed();
      }, { use: async (connection) => (await connection.channel()).basicGet("q") });
      match(
        result.message,
        /501 FRAME_ERROR\): a message body of 1099511627776 bytes, over the 134217728 accepted/,
      );
    },
  );
});

Deno.test("a flood of heartbeats is not answered one for one", async () => {
  let sentBack = 0;
  await using fake = fakeBroker(async (peer) => {
    await peer.handshake({ heartbeat: 60 });
    for (let i = 0; i < 100; i++) await peer.write(bytes(...Array(100).fill(heartbeat())));
    const before = peer.received;
    await new Promise((resolve) => setTimeout(resolve, 500));
    sentBack = peer.received - before;
    peer.close();
  });
  const connection = await connect({ url: fake.url, heartbeat: 60 });
  await fake.done;
  ok(sentBack < 100, `the client sent ${sentBack} bytes back for 10,000 heartbeats`);
  await connection.close().catch(() => {});
});

/** producer.ts run against `url`: its exit code, stderr and peak resident memory (KiB). */
async function peakOf(url: string): Promise<{ code: number; stderr: string; kib: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: scriptArgs("producer.ts", ["--url", url], { allowNet: "127.0.0.1" }).slice(1),
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let highest = 0;
  const poll = setInterval(() => {
    const status = (() => {
      try {
        return Deno.readTextFileSync(`/proc/${child.pid}/status`);
      } catch {
        return "";
      }
    })();
    highest = Math.max(highest, Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0));
  }, 10);
  const { code, stderr } = await child.output();
  clearInterval(poll);
  return { code, stderr: new TextDecoder().decode(stderr), kib: highest };
}

/** The peak memory of producer.ts failing at once on a refused port: the baseline. */
async function refusedPeak(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refusedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return (await peakOf(`amqp://guest:guest@127.0.0.1:${refusedPort}`)).kib;
}

Deno.test("the peer that lies: a 2 GiB frame leaves producer.ts at its usual memory, one line, exit 1", async () => {
  // What the lie cost before: 2.1 GB. The measure: the process's peak resident memory, against
  // the same script failing at once on a refused port.
  const baseline = await refusedPeak();
  await using fake = fakeBroker(async (peer) => {
    await peer.write(bytes([1], u16(0), u32(2 ** 31 - 1)));
    const chunk = new Uint8Array(256 * 1024);
    while (true) await peer.write(chunk);
  });
  const lie = await peakOf(`${fake.url}/?connection_timeout=5000`);
  deepEqual(lie.code, 1);
  deepEqual(lie.stderr.trimEnd().split("\n").length, 1, lie.stderr);
  match(lie.stderr, /Cannot connect to .*: The broker broke the AMQP protocol \(501 FRAME_ERROR\)/);
  console.log(
    `      figures: peak RSS ${lie.kib} KiB against a 2 GiB frame, ${baseline} KiB refused`,
  );
  ok(lie.kib < baseline + 32 * 1024, `${lie.kib} KiB against ${baseline} KiB`);
});

Deno.test("the peer that lies: frames nested inside a frame's declared size are refused (501)", async () => {
  // A 60-odd-byte connection.unblocked, which has no fields, carrying a basic.deliver and a
  // content header announcing 2^30 bytes: a client that walks fields and then steps over one
  // byte would read the two as frames of their own, past every size check, and set aside 1 GiB.
  const deliver = method(
    0,
    60,
    60,
    shortstr("ctag"),
    bytes(u64(1), [0]),
    shortstr(""),
    shortstr("q"),
  );
  const header = contentHeader(0, 2 ** 30);
  const payload = bytes(u16(10), u16(61), [0xce], deliver, header.subarray(0, header.length - 1));
  const lie = frame(1, 0, payload); // its frame end is the nested header's
  const baseline = await refusedPeak();
  await using fake = fakeBroker(async (peer) => {
    await peer.write(connectionStart());
    await peer.expect(10, 11);
    await peer.write(lie);
    await peer.untilClosed();
  });
  const ran = await peakOf(`${fake.url}/?connection_timeout=5000`);
  deepEqual(ran.code, 1);
  deepEqual(ran.stderr.trimEnd().split("\n").length, 1, ran.stderr);
  match(
    ran.stderr,
    new RegExp(
      "The broker broke the AMQP protocol \\(501 FRAME_ERROR\\): a connection\\.unblocked frame " +
        `of ${payload.length} bytes whose fields take 4$`,
      "m",
    ),
  );
  ok(ran.kib < baseline + 32 * 1024, `${ran.kib} KiB against ${baseline} KiB`);
});

Deno.test("the peer that lies: fields that overrun or underrun their frame, bad tables, unknown methods", async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "a queue.declare-ok whose name runs past the frame",
      method(1, 50, 11, bytes([200], u32(0))),
      /501 FRAME_ERROR\): a queue\.declare-ok frame of 9 bytes whose fields run past its end/,
    ],
    [
      "a channel.open-ok with a non-empty reserved string",
      method(1, 20, 11, bytes(u32(3), [1, 2, 3])),
      /501 FRAME_ERROR\): a channel\.open-ok frame of 11 bytes whose fields run past its end/,
    ],
    [
      "a content header with a table whose entry runs past the table",
      bytes(
        getOk(1, 1),
        frame(
          2,
          1,
          bytes(u16(60), u16(0), u64(1), u16(0x2000), u32(6), shortstr("k"), [83], u32(99)),
        ),
      ),
      /501 FRAME_ERROR\): a content header frame of 25 bytes whose fields run past its end/,
    ],
    [
      "a content header with a cluster-id, which the client does not read",
      bytes(getOk(1, 1), frame(2, 1, bytes(u16(60), u16(0), u64(1), u16(0x0004), shortstr("c")))),
      /501 FRAME_ERROR\): a content header with property flags 0x4/,
    ],
    [
      "a method of a class AMQP does not have",
      method(1, 77, 1),
      /540 NOT_IMPLEMENTED\): a method of unknown class and id \(77, 1\)/,
    ],
    ["a heartbeat that carries bytes", frame(8, 0, new Uint8Array(3)), /a heartbeat of 3 bytes/],
  ];
  for (const [label, lie, message] of cases) {
    await t.step(label, async () => {
      const result = await outcome(async (peer) => {
        await peer.handshake();
        await peer.openChannel();
        await peer.write(lie);
        await peer.untilClosed();
      }, { use: (c) => c.channel() });
      deepEqual(result.phase, "session");
      match(result.message, message);
    });
  }
});

Deno.test("frames split across reads at every byte boundary arrive whole", async () => {
  // A basic.get-ok, its content header (with a byte-array header) and two body frames, sent in
  // two writes split after 1, 2, 3, ... bytes: every boundary inside every frame.
  const table = bytes(shortstr("k"), [0x78], u32(4), [1, 2, 3, 4]);
  const body = new Uint8Array(300).map((_, i) => i % 251);
  const reply = (channel: number) =>
    bytes(
      getOk(channel, 1),
      contentHeader(channel, body.length, bytes(u32(table.length), table)),
      frame(3, channel, body.subarray(0, 100)),
      frame(3, channel, body.subarray(100)),
    );
  const length = reply(1).length;
  await using fake = fakeBroker(async (peer) => {
    await peer.handshake({ frameMax: 8192 });
    const channel = await peer.openChannel();
    for (let at = 1; at < length; at++) {
      await peer.expect(60, 70);
      const whole = reply(channel);
      await peer.write(whole.subarray(0, at));
      await new Promise((resolve) => setTimeout(resolve, 2));
      await peer.write(whole.subarray(at));
    }
  });
  const connection = await connect({ url: fake.url });
  const channel = await connection.channel();
  for (let at = 1; at < length; at++) {
    const message = await channel.basicGet("q", { noAck: true });
    deepEqual(message?.body, body, `split after ${at} bytes`);
    deepEqual(message?.properties.headers?.k, new Uint8Array([1, 2, 3, 4]), `split after ${at}`);
  }
  ok(length > 350, `${length} bytes`);
  await connection.close().catch(() => {});
});

Deno.test("connection.blocked and unblocked reach onblocked and onunblocked", async () => {
  const seen: string[] = [];
  await using fake = fakeBroker(async (peer) => {
    await peer.handshake();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the test sets its callbacks
    await peer.write(blocked("low on memory"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await peer.write(unblocked());
    await peer.expect(10, 50); // the client's close
    await peer.write(method(0, 10, 51));
  });
  const connection = await connect({ url: fake.url });
  connection.onblocked = (reason) => seen.push(`blocked: ${reason}`);
  connection.onunblocked = () => seen.push("unblocked");
  await new Promise((resolve) => setTimeout(resolve, 400));
  deepEqual(seen, ["blocked: low on memory", "unblocked"]);
  await connection.close();
});
