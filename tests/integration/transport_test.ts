// The Deno transport (lib/transport/), held to what the client library's own suite proves of
// its transport, in this project's words, on the real broker: header values, channels, frames,
// confirms, failures, close, heartbeats, options. (The lying peer is tests/unit/lying_peer_test.ts.)

import { deepEqual, match, ok, rejects } from "node:assert/strict";
import type { AMQPBaseClient } from "@cloudamqp/amqp-client/amqp-base-client";
import { BrokerError, ConfigError, connect, publishWithConfirms } from "../../lib/mod.ts";
import { fakeBroker } from "../_fake_broker.ts";
import {
  BROKER_URL,
  deleteQueue,
  depth,
  rabbitmqctl,
  runCommand,
  tcpProxy,
  uniqueQueue,
  until,
  withChannel,
  withQueue,
} from "../_helpers.ts";

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

Deno.test("acks held for coalescing reach the broker within milliseconds, not at the next quarter", async (t) => {
  // 10 acks at prefetch 100 are fewer than a quarter of the window: held, then written by the
  // hold timer. The connection is cut (no close, no flush) right after the 10th ack, or 50 ms
  // later: the broker puts back what it never heard acked.
  for (const [wait, back] of [[0, 10], [50, 0]] as const) {
    await t.step(`cut ${wait} ms after the acks: ${back} back in the queue`, async () => {
      await withQueue(`acks-held-${wait}`, 10, async (queue) => {
        using proxy = tcpProxy(Number(new URL(BROKER_URL).port || 5672));
        const connection = await connect({ url: proxy.url, name: "transport-test acks" });
        const channel = await connection.channel();
        await channel.basicQos(100);
        let acked = 0;
        const done = Promise.withResolvers<void>();
        await channel.basicConsume(queue, { noAck: false }, (message) => {
          message.ack().catch(() => {});
          if (++acked === 10) done.resolve();
        });
        await done.promise;
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
        proxy.cut();
        // The broker puts back a lost consumer's unacked messages as it drops the consumer.
        const consumers = () =>
          withChannel((ch) => ch.queueDeclare(queue, { passive: true })).then((q) =>
            q.consumerCount
          );
        await until(async () => await consumers() === 0, "the broker to drop the cut consumer");
        deepEqual([acked, await depth(queue)], [10, back]);
        await connection.close().catch(() => {}); // already lost: this only lets it go
      });
    });
  }
});
