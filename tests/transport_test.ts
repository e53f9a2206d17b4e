// The Deno transport (lib/_deno_client.ts), held to what the client library's own suite proves
// of its transport, in this project's words: on the real broker (header values, channels,
// frames, confirms, failures, close, heartbeats, options), and against a scripted peer that
// lies (tests/_fake_broker.ts): oversized and malformed frames, the wrong protocol, silence, a
// flood. Each lie must end the connection with one clear error, soon, without unhandled
// rejections, and without the client buffering what the peer announces.

import { deepEqual, match, ok, rejects } from "node:assert/strict";
import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { BrokerError, ConfigError, connect, publishWithConfirms } from "../lib/mod.ts";
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
} from "./_fake_broker.ts";
import {
  BROKER_URL,
  deleteQueue,
  depth,
  rabbitmqctl,
  runCommand,
  scriptArgs,
  uniqueQueue,
} from "./_helpers.ts";

/**
 * Connects to the real broker with `query` in the URL and `options`; the connection closes
 * when disposed.
 */
async function open(
  query = "",
  options: Parameters<typeof connect>[0] = {},
): Promise<AMQPBaseClient & AsyncDisposable> {
  const connection = await connect({
    url: `${BROKER_URL}${query}`,
    name: "transport-test",
    ...options,
  });
  return Object.assign(connection, {
    [Symbol.asyncDispose]: () => connection.close().catch(() => {}),
  });
}

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

Deno.test("header values of every field type stay what they were, across later reads", async () => {
  const queue = uniqueQueue("headers");
  try {
    // Pika writes the types this client cannot (a decimal), and the rest too.
    const pika = await runCommand([
      "/usr/bin/python3",
      "-c",
      `import os, sys, decimal, datetime, pika
c = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
ch = c.channel()
ch.queue_declare(queue=sys.argv[1])
for n, fill in enumerate([b"A" * 32] + [b"B" * 32] * 30):
    ch.basic_publish("", sys.argv[1], str(n), pika.BasicProperties(headers={
        "bytes": fill, "table": {"nested": {"deep": n}}, "array": [n, "two", True],
        "decimal": decimal.Decimal("12.34"), "time": datetime.datetime(2026, 11, 28, 12, 0, 0),
        "text": "繁體中文 ✓" + str(n)}))
c.close()`,
      queue,
    ]);
    deepEqual(pika.code, 0, pika.stderr);
    await using client = await open();
    const channel = await client.channel();
    const first = await channel.basicGet(queue, { noAck: true });
    const kept = first!.properties.headers!;
    const expected = {
      bytes: new Uint8Array(32).fill(0x41),
      table: { nested: { deep: 0 } },
      array: [0, "two", true],
      decimal: 12.34,
      time: new Date("2026-11-28T12:00:00Z"),
      text: "繁體中文 ✓0",
    };
    deepEqual(kept, expected);
    for (let i = 1; i <= 30; i++) {
      const later = await channel.basicGet(queue, { noAck: true });
      deepEqual(later?.properties.headers?.text, `繁體中文 ✓${i}`);
    }
    // Thirty reads later, into the same buffers: the first message's values are unchanged.
    deepEqual(kept, expected);
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("channelMax: 64 is honoured, by option and by URL; the 65th channel is refused clearly", async (t) => {
  for (
    const [label, query, options] of [
      ["option channelMax", "", { channelMax: 64 }],
      ["URL channel_max", "?channel_max=64", {}],
      ["URL channelMax (the client library's name)", "?channelMax=64", {}],
    ] as const
  ) {
    await t.step(label, async () => {
      const name = `channel-max-${crypto.randomUUID().slice(0, 8)}`;
      await using connection = await open(query, { ...options, name });
      deepEqual(connection.channelMax, 64);
      const channels = await Promise.all(Array.from({ length: 64 }, () => connection.channel()));
      deepEqual(channels.at(-1)?.id, 64);
      await rejects(
        connection.channel(),
        // The client library's words, which code matches on, then ours.
        (e: Error) =>
          e.message === "Max number of channels reached: this connection allows 64 (channelMax)",
      );
      // The broker agreed to it in the handshake.
      const listed = await rabbitmqctl(
        "-q",
        "list_connections",
        "channel_max",
        "client_properties",
      );
      match(listed.stdout, new RegExp(`^64\\t.*"connection_name","${name}"`, "m"), listed.stderr);
    });
  }
});

Deno.test("basicPublish() with headers too large for a frame rejects, naming the sizes; never throws", async () => {
  await using connection = await open();
  const channel = await connection.channel();
  const headers = { big: "x".repeat(10_000) }; // a content header over frame_max 8192
  let promise: Promise<number> | undefined;
  // A synchronous throw would escape .catch() and `await expect(...).rejects` alike.
  const call = () => promise = channel.basicPublish("", "nowhere", "body", { headers });
  call();
  await rejects(
    promise!,
    /^RangeError: Cannot publish: the message's properties and headers take 10\d{3} bytes, .*frame_max 8192 leaves 8172\)$/,
  );
  await channel.confirmSelect();
  await rejects(channel.basicPublish("", "nowhere", "body", { headers }), RangeError);
  // The channel is still fine for the next message.
  deepEqual(await channel.basicPublish("", "nowhere", "ok", {}), 1);
});

Deno.test("frame_max: taken from the URL and negotiated; bodies over it are split", async () => {
  await using connection = await open("?frame_max=16384");
  deepEqual(connection.frameMax, 16384);
  const queue = uniqueQueue("frame-max");
  try {
    const channel = await connection.channel();
    await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
    const body = new Uint8Array(100_000).map((_, i) => i % 253);
    await publishWithConfirms(channel, queue, [body]);
    deepEqual((await channel.basicGet(queue, { noAck: true }))?.body, body);
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("URL settings: each understood, or refused with one line", async (t) => {
  const refused: [string, RegExp][] = [
    ["?frame_max=4096", /frame_max=4096 .*from 8192/],
    // The read buffer holds two frames: 2^32-1 would set aside 8 GiB before the handshake.
    ["?frame_max=4294967295", /frame_max=4294967295 .*from 8192 to 1048576/],
    ["?insecure", /Cannot use insecure in the broker URL: certificates are always checked/],
    ["?verify=verify_none", /Cannot use verify .*a CA file instead/],
    ["?certfile=/x.pem", /client certificates are not supported/],
    ["?auth_mechanism=external", /only plain is supported/],
    ["?heartbeat=soon", /heartbeat=soon .*expected a number/],
    ["?bogus=1", /Cannot use bogus in the broker URL: unknown \(known: heartbeat/],
  ];
  for (const [query, message] of refused) {
    await t.step(
      query,
      () => rejects(open(query), (e: Error) => e instanceof ConfigError && message.test(e.message)),
    );
  }
  await t.step(
    "?name=… names the connection, as the client library's AMQPClient does",
    async () => {
      const name = `url-name-${crypto.randomUUID().slice(0, 8)}`;
      await using _connection = await open(`?name=${name}&auth_mechanism=PLAIN`, {
        name: undefined,
      });
      match(
        (await rabbitmqctl("-q", "list_connections", "client_properties")).stdout,
        new RegExp(name),
      );
    },
  );
});

Deno.test("the logger hears the connect, the close, a failed connect and a lost connection", async () => {
  const heard: string[] = [];
  const logger = {
    debug: () => {},
    info: (...args: unknown[]) => heard.push(`info ${args.join(" ")}`),
    warn: (...args: unknown[]) => heard.push(`warn ${args.join(" ")}`),
    error: (...args: unknown[]) => heard.push(`error ${args.join(" ")}`),
  };
  const connection = await open("", { logger });
  await connection.close();
  await rejects(connect({ url: "amqp://127.0.0.1:1", logger }), BrokerError);
  await using fake = fakeBroker(async (peer) => {
    await peer.handshake();
    await settle(); // the test hears it as a lost connection, not a failed connect
    peer.close();
  });
  const doomed = await connect({ url: fake.url, logger });
  await lost(doomed, 3000);
  match(heard[0]!, /^info amqp: connected to /);
  match(heard[1]!, /^info amqp: closing the connection to /);
  match(heard[2]!, /^warn amqp: cannot connect to 127\.0\.0\.1:1: /);
  match(heard[3]!, /^info amqp: connected to /);
  match(
    heard[4]!,
    /^error amqp: connection to 127\.0\.0\.1:\d+ lost: Connection closed by the broker/,
  );
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

Deno.test("heartbeats: the client sends its own, so an idle connection stays open", async () => {
  await using connection = await open("?heartbeat=1");
  await new Promise((resolve) => setTimeout(resolve, 3500)); // the broker drops it after 2 s without
  ok(!connection.closed);
  const channel = await connection.channel();
  await channel.basicQos(1);
});

Deno.test("bodies larger than frame_max and than the read buffer arrive whole", async () => {
  const queue = uniqueQueue("large");
  try {
    await using connection = await open();
    const channel = await connection.channel();
    await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
    const body = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i % 251);
    await publishWithConfirms(channel, queue, [body, "small"]);
    deepEqual((await channel.basicGet(queue, { noAck: true }))?.body, body);
    deepEqual((await channel.basicGet(queue, { noAck: true }))?.bodyString(), "small");
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("500 channels at once on one connection, each publishing and reading its own", async () => {
  const queue = uniqueQueue("channels");
  try {
    await using connection = await open();
    const setup = await connection.channel();
    await setup.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
    await Promise.all(Array.from({ length: 500 }, async (_, i) => {
      const channel = await connection.channel();
      await publishWithConfirms(channel, queue, [`${i}`], { properties: {} });
      await channel.close();
    }));
    deepEqual(await depth(queue), 500);
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("confirms: acks for many at once, and a nack for many settles every publish", async (t) => {
  await t.step("10,000 publishes, confirmed in batches (multiple)", async () => {
    const queue = uniqueQueue("acks");
    try {
      await using connection = await open();
      const channel = await connection.channel();
      await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
      await channel.confirmSelect();
      const all = Array.from({ length: 10_000 }, (_, i) => channel.basicPublish("", queue, `${i}`));
      deepEqual(
        (await Promise.allSettled(all)).filter((r) => r.status === "fulfilled").length,
        10_000,
      );
    } finally {
      await deleteQueue(queue);
    }
  });
  await t.step("a nack covering many publishes (x-max-length 100, reject-publish)", async () => {
    const queue = uniqueQueue("nack-multiple");
    try {
      await using connection = await open();
      const channel = await connection.channel();
      await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false }, {
        "x-max-length": 100,
        "x-overflow": "reject-publish",
      });
      await channel.confirmSelect();
      const outcomes = await Promise.all(Array.from(
        { length: 300 },
        (_, i) => channel.basicPublish("", queue, `${i}`).then(() => "ack", () => "nack"),
      ));
      deepEqual(outcomes.filter((o) => o === "ack").length, 100);
      deepEqual(outcomes.filter((o) => o === "nack").length, 200);
    } finally {
      await deleteQueue(queue);
    }
  });
});

Deno.test("publishing while the socket dies: every publish settles, the error names the loss", async () => {
  const target = Number(new URL(BROKER_URL).port || 5672);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sockets: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
      sockets.push(client, server);
      client.readable.pipeTo(server.writable).catch(() => {});
      server.readable.pipeTo(client.writable).catch(() => {});
    }
  })().catch(() => {});
  const queue = uniqueQueue("dying");
  try {
    const connection = await connect({
      url: `amqp://guest:guest@127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    });
    const channel = await connection.channel();
    await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
    await channel.confirmSelect();
    const settled = Array.from({ length: 20_000 }, (_, i) => {
      if (i === 5000) sockets.forEach((s) => s.close()); // the network goes
      return channel.basicPublish("", queue, `${i}`).then(
        () => "confirmed",
        (e: Error) => e.message,
      );
    });
    const results = await Promise.race([
      Promise.all(settled),
      new Promise<string[]>((resolve) => setTimeout(() => resolve(["not settled in 5 s"]), 5000)),
    ]);
    ok(results.length === 20_000, results[0]);
    ok(results.some((r) => r !== "confirmed"), "nothing failed");
    ok(connection.closed);
  } finally {
    listener.close();
    await deleteQueue(queue);
  }
});

Deno.test("close() with publishes still queued: the broker has every one of them", async () => {
  const queue = uniqueQueue("close-pending");
  try {
    const connection = await open();
    const channel = await connection.channel();
    await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false });
    for (let i = 0; i < 5000; i++) channel.basicPublish("", queue, `${i}`);
    await connection.close();
    deepEqual(await depth(queue), 5000);
  } finally {
    await deleteQueue(queue);
  }
});
