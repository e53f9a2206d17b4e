import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import {
  BrokerError,
  brokerUrls,
  ConfigError,
  connect,
  connectedTo,
  declareQueue,
  DEFAULT_URL,
  failure,
  forEachMessage,
  integerFlag,
  iterateMessages,
  maskUrl,
  parseFlags,
  pollMessage,
  PublishNackedError,
  publishReliably,
  publishWithConfirms,
  secondsFlag,
  UsageError,
} from "../lib/mod.ts";
import {
  BROKER_URL,
  deleteQueue,
  depth,
  fill,
  numbers,
  silentPeer,
  uniqueQueue,
} from "./_helpers.ts";
import { withChannel, withQueue, withQueueName } from "./_helpers.ts";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";

/** Opens a connection and channel for a test; the connection closes when disposed. */
async function open(): Promise<{ channel: AMQPChannel } & AsyncDisposable> {
  const connection = await connect({ url: BROKER_URL });
  const channel = await connection.channel();
  return {
    channel,
    [Symbol.asyncDispose]: () => connection.close().catch(() => {}),
  };
}

Deno.test("resolveUrl() takes --url, else AMQP_URL, else the default", async (t) => {
  const resolve = async (env: Record<string, string>, arg = "") => {
    const code = `import { resolveUrl } from "${new URL("../lib/mod.ts", import.meta.url)}";` +
      `console.log(resolveUrl(${JSON.stringify(arg)} || undefined));`;
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env,
      clearEnv: true,
    }).output();
    return new TextDecoder().decode(stdout).trim();
  };
  await t.step("default", async () => deepEqual(await resolve({}), DEFAULT_URL));
  await t.step("AMQP_URL", async () => {
    deepEqual(await resolve({ AMQP_URL: "amqp://a:b@h:1/v" }), "amqp://a:b@h:1/v");
  });
  await t.step("explicit wins", async () => {
    deepEqual(await resolve({ AMQP_URL: "amqp://env" }, "amqp://flag"), "amqp://flag");
  });
});

Deno.test("maskUrl() hides the password and nothing else", () => {
  const cases: [string, string][] = [
    ["amqp://guest:guest@127.0.0.1:5672", "amqp://guest:****@127.0.0.1:5672"],
    ["amqps://u:p%40ss@host/vhost?heartbeat=5", "amqps://u:****@host/vhost?heartbeat=5"],
    ["amqp://u:raw/pass@host:5672/v", "amqp://u:****@host:5672/v"],
    ["amqp://user@host:5672", "amqp://user@host:5672"],
    ["amqp://host:5672/vhost", "amqp://host:5672/vhost"],
    ["amqp://:secret@host", "amqp://:****@host"],
    ["amqp//guest:secret@host", "amqp//guest:****@host"],
    ["guest:secret@host", "guest:****@host"],
    ["amqp://u:a,b/c@h1:5672,h2", "amqp://u:****@h1:5672,h2"],
    ["amqp://u:p@ss@host", "amqp://u:****@host"],
    ["amqp://u:ht://x@host", "amqp://u:****@host"],
    ["amqp://u:p@h1,amqp://v:q@h2", "amqp://u:****@h1,amqp://v:****@h2"],
  ];
  for (const [url, masked] of cases) deepEqual(maskUrl(url), masked, url);
});

Deno.test("no password survives masking, in any URL form, nor in a parse error", () => {
  const passwords = ["s3cr,et/x", "s3cr/et,x", "s3cr@et,x/y", "s3cr:et//x", "s3cr?et#x", "s3cret"];
  for (const password of passwords) {
    const encoded = encodeURIComponent(password);
    const forms = [
      `amqp://alice:${password}@h1:5672/v`,
      `amqp://alice:${password}@h1:5672,h2:5673`,
      `amqp://alice:${password}@h1,amqp://bob:${password}@h2`,
      `amqps://alice:${password}@h1:5671/v?heartbeat=5,h2`,
      `alice:${password}@h1`,
      `amqp://alice:${encoded}@h1,h2`,
      `amqp://h1:5672,amqp://alice:${password}@h2`,
    ];
    for (const url of forms) {
      for (const text of [maskUrl(url), parseError(url)]) {
        for (const secret of [password, encoded, ...password.split(/[,/@:?#]/)]) {
          ok(secret.length < 3 || !text.includes(secret), `${url} → ${text} shows "${secret}"`);
        }
      }
    }
  }
});

/** What brokerUrls() says of a URL: its ConfigError's message, or "" when it parses. */
function parseError(url: string): string {
  try {
    brokerUrls(url);
    return "";
  } catch (error) {
    ok(error instanceof ConfigError, String(error));
    return error.message;
  }
}

Deno.test("flag helpers: strict parsing, numbers with clear messages, exit codes", async (t) => {
  await t.step("parseFlags", () => {
    const spec = { count: { type: "string" as const }, yes: { type: "boolean" as const } };
    deepEqual(parseFlags(["--count", "3", "--yes"], spec), { count: "3", yes: true });
    throws(() => parseFlags(["--cuont", "3"], spec), /Unknown flag '--cuont'/);
    throws(() => parseFlags(["extra"], spec), UsageError);
    throws(() => parseFlags(["--count"], spec), UsageError);
  });
  await t.step("integerFlag", () => {
    deepEqual(integerFlag("count", "0", 0), 0);
    deepEqual(integerFlag("count", " 12 "), 12);
    for (const bad of ["", "abc", "-1", "1.5", "1e3", "0x10", "9007199254740993"]) {
      throws(() => integerFlag("count", bad), UsageError, bad);
    }
    throws(() => integerFlag("max", "0"), /Cannot parse --max "0": expected a whole number, 1/);
  });
  await t.step("secondsFlag", () => {
    deepEqual(secondsFlag("idle", "0.25"), 250);
    for (const bad of ["", "0", "-1", "soon", "Infinity"]) {
      throws(() => secondsFlag("idle", bad), UsageError, bad);
    }
  });
  await t.step("failure", () => {
    deepEqual(failure(new UsageError("Unknown flag '--x'")), {
      line: "Unknown flag '--x' (see --help)",
      exitCode: 2,
    });
    deepEqual(failure(new BrokerError("Cannot connect")), { line: "Cannot connect", exitCode: 1 });
    deepEqual(failure(new TypeError("bad\n    at x.ts:1:1")), { line: "Error: bad", exitCode: 1 });
    deepEqual(failure("plain"), { line: "Error: plain", exitCode: 1 });
  });
});

Deno.test("connect() times out on a silent port and really releases the socket", async () => {
  using peer = silentPeer();
  const started = performance.now();
  await rejects(
    connect({ url: `amqp://guest:guest@127.0.0.1:${peer.port}`, timeout: 300 }),
    (error: Error) => error instanceof BrokerError && /no answer within 0\.3 s/.test(error.message),
  );
  const elapsed = performance.now() - started;
  ok(elapsed >= 290 && elapsed < 2000, `${elapsed} ms`);
  // The peer sees end-of-stream after the 8-byte protocol header: the client closed it.
  deepEqual(await peer.received, 8);
});

Deno.test("connect() can be aborted by the caller", async () => {
  using peer = silentPeer();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("user gave up")), 100);
  await rejects(
    connect({ url: `amqp://127.0.0.1:${peer.port}`, timeout: 10_000, abort: controller.signal }),
    /user gave up/,
  );
  deepEqual(await peer.received, 8);
});

Deno.test("publishWithConfirms() reports a publish the broker nacks", async () => {
  const queue = uniqueQueue("overflow");
  try {
    await using broker = await open();
    const { channel } = broker;
    await channel.queueDeclare(queue, { durable: false, exclusive: false, autoDelete: false }, {
      "x-max-length": 2,
      "x-overflow": "reject-publish",
    });
    const confirmed: string[] = [];
    await rejects(
      publishWithConfirms(channel, queue, ["a", "b", "c", "d"], {
        window: 1,
        onConfirm: (body) => confirmed.push(String(body)),
      }),
      (error: Error) =>
        error instanceof BrokerError && /did not accept message 2/.test(error.message),
    );
    deepEqual(confirmed, ["a", "b"]);
    equal(await depth(queue), 2);
  } finally {
    await deleteQueue(queue);
  }
});

Deno.test("pollMessage() returns messages, and null once its signal aborts on an empty queue", async () => {
  await withQueue("get", 2, async (queue) => {
    await using broker = await open();
    const { channel } = broker;
    const first = await pollMessage(channel, queue, { noAck: false });
    deepEqual(first?.bodyString(), "0");
    await first?.ack();
    const second = await pollMessage(channel, queue, { noAck: true });
    deepEqual(second?.bodyString(), "1");
    const started = performance.now();
    const none = await pollMessage(channel, queue, {
      noAck: false,
      pollInterval: 20,
      stop: AbortSignal.timeout(150),
    });
    equal(none, null);
    ok(performance.now() - started >= 140);
  });
});

Deno.test("iterateMessages() yields null after the inactivity timeout, then resumes", async () => {
  await withQueue("inactivity", 0, async (queue) => {
    await using broker = await open();
    const { channel } = broker;
    const seen: (string | null)[] = [];
    const started = performance.now();
    let firstNullAt = 0;
    for await (
      const message of iterateMessages(channel, queue, { noAck: true, inactivityTimeout: 200 })
    ) {
      if (message === null) {
        firstNullAt ||= performance.now() - started;
        seen.push(null);
        if (seen.length === 1) await fill(queue, 1); // a message after the first quiet spell
        if (seen.filter((m) => m === null).length === 2) break;
      } else {
        seen.push(message.bodyString());
      }
    }
    deepEqual(seen, [null, "0", null]);
    ok(firstNullAt >= 190 && firstNullAt < 1000, `${firstNullAt} ms`);
  });
});

Deno.test("iterateMessages(): break cancels the consumer and requeues what it buffered", async () => {
  await withQueue(
    "break",
    10,
    async (queue) => {
      await using broker = await open();
      const { channel } = broker;
      await channel.basicQos(10);
      let held;
      for await (const message of iterateMessages(channel, queue, { noAck: false })) {
        held = message; // keep the first, unacked, and leave
        // Let all 10 arrive in the buffer before breaking.
        await new Promise((resolve) => setTimeout(resolve, 100));
        break;
      }
      deepEqual(held?.bodyString(), "0");
      // The 9 buffered are ready again while the connection is still open; "0" is still ours.
      // (A classic queue: a quorum queue counts a cancelled consumer until its messages settle.)
      // (The broker's counters may trail by a moment, so ask until they settle.)
      let declared = await channel.queueDeclare(queue, { passive: true });
      for (let i = 0; i < 20 && (declared.messageCount < 9 || declared.consumerCount > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        declared = await channel.queueDeclare(queue, { passive: true });
      }
      deepEqual([declared.messageCount, declared.consumerCount], [9, 0]);
      await held?.ack();
      const rest = [];
      for (let m; (m = await channel.basicGet(queue, { noAck: true }));) {
        rest.push({ body: m.bodyString(), redelivered: m.redelivered });
      }
      deepEqual(rest.map((m) => m.body), numbers(10).slice(1));
      ok(rest.every((m) => m.redelivered), "requeued messages come back marked redelivered");
    },
    undefined,
    { type: "classic" },
  );
});

Deno.test("iterateMessages(): an abort with auto-ack hands out what was buffered, losing none", async () => {
  await withQueue("abort-autoack", 50, async (queue) => {
    await using broker = await open();
    const { channel } = broker;
    const stop = new AbortController();
    const seen: string[] = [];
    for await (
      const message of iterateMessages(channel, queue, { noAck: true, stop: stop.signal })
    ) {
      seen.push(message!.bodyString()!);
      if (seen.length === 1) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // all 50 are pushed meanwhile
        stop.abort();
      }
    }
    deepEqual(seen, numbers(50));
    equal(await depth(queue), 0);
  });
});

Deno.test("forEachMessage() resolves on abort; a throwing handler rejects and loses nothing", async (t) => {
  await t.step("abort after 5: the rest go back", async () => {
    await withQueue("consume-abort", 20, async (queue) => {
      await using broker = await open();
      const { channel } = broker;
      await channel.basicQos(5);
      const stop = new AbortController();
      const seen: string[] = [];
      await forEachMessage(channel, queue, async (message) => {
        seen.push(message.bodyString()!);
        await message.ack();
        if (seen.length === 5) stop.abort();
      }, { noAck: false, stop: stop.signal });
      deepEqual(seen, numbers(5));
      equal(await depth(queue), 15);
    });
  });
  await t.step("handler throws on the 3rd: rejected, 3rd and later stay queued", async () => {
    await withQueue("consume-throw", 10, async (queue) => {
      {
        await using broker = await open();
        const { channel } = broker;
        await channel.basicQos(4);
        let calls = 0;
        await rejects(
          forEachMessage(channel, queue, async (message) => {
            if (++calls === 3) throw new Error("handler failed");
            await message.ack();
          }, { noAck: false }),
          /handler failed/,
        );
        equal(calls, 3);
      }
      // Connection closed: the unacked 3rd is back too.
      const left = await depth(queue);
      equal(left, 8);
    });
  });
  await t.step("the handler runs one message at a time, in order", async () => {
    await withQueue("consume-serial", 30, async (queue) => {
      await using broker = await open();
      const { channel } = broker;
      await channel.basicQos(30);
      let running = 0;
      let most = 0;
      const seen: string[] = [];
      const stop = new AbortController();
      await forEachMessage(channel, queue, async (message) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(message.bodyString()!);
        await message.ack();
        running--;
        if (seen.length === 30) stop.abort();
      }, { noAck: false, stop: stop.signal });
      deepEqual([seen, most], [numbers(30), 1]);
    });
  });
});

Deno.test("brokerUrls(): a list takes what each entry leaves out from the first", () => {
  deepEqual(brokerUrls("amqp://u:p@h1:5672"), ["amqp://u:p@h1:5672"]);
  deepEqual(brokerUrls("amqp://u:p@h1:5672/v?heartbeat=5,h2:5673,amqps://x:y@h3"), [
    "amqp://u:p@h1:5672/v?heartbeat=5",
    "amqp://u:p@h2:5673/v?heartbeat=5",
    "amqps://x:y@h3/v?heartbeat=5",
  ]);
  throws(() => brokerUrls("amqp://h1,,h2"), /empty entry/);
  throws(() => brokerUrls("amqp://h1,http://h2"), /scheme must be amqp/);
  // A comma inside a password stays inside it, and inside the mask.
  deepEqual(maskUrl("amqp://u:pa,ss@h1,h2"), "amqp://u:****@h1,h2");
  deepEqual(maskUrl("amqp://u:p@h1,amqp://v:q@h2"), "amqp://u:****@h1,amqp://v:****@h2");
});

Deno.test("connect() with a list: the first broker that answers, named by connectedTo()", async (t) => {
  const closed = () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    return `amqp://guest:secret@127.0.0.1:${port}`;
  };
  await t.step("the first is down: the second", async () => {
    const connection = await connect({ url: `${closed()},${BROKER_URL}` });
    deepEqual(connectedTo(connection), maskUrl(BROKER_URL));
    await connection.close();
  });
  await t.step("all down: one line naming each", async () => {
    const [a, b] = [closed(), closed()];
    await rejects(connect({ url: `${a},${b}` }), (error: Error) => {
      ok(error instanceof BrokerError);
      match(
        error.message,
        /^Cannot connect to any of 2 brokers: amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: connection refused.*; amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+: connection refused/,
      );
      ok(!error.message.includes("secret"));
      return true;
    });
  });
});

Deno.test("publishReliably(): a refused message is sent again on a new channel, never dropped", async (t) => {
  // Classic: RabbitMQ 3.10's quorum queues apply reject-publish loosely (they took all ten).
  const full = { "x-max-length": 5, "x-overflow": "reject-publish" };
  await t.step(
    "the queue makes room meanwhile: every message confirmed, refusals counted",
    () =>
      withQueueName("nack-retry", async (queue) => {
        await withChannel((channel) =>
          declareQueue(channel, queue, { type: "classic", arguments: full })
        );
        // A reader takes one message every 100 ms, so each refusal is followed by room.
        const reader = setInterval(() => {
          withChannel((channel) => channel.basicGet(queue, { noAck: true })).catch(() => {});
        }, 100);
        try {
          const report = await publishReliably(queue, numbers(10), {
            connect: { url: BROKER_URL },
            window: 1,
          });
          deepEqual(report.confirmed, 10);
          ok(report.nacked >= 1, `${report.nacked} refusals`);
        } finally {
          clearInterval(reader);
        }
      }),
  );
  await t.step(
    "no room ever: the refusal is reported after giveUpAfter, with its index",
    () =>
      withQueueName("nack-give-up", async (queue) => {
        await withChannel((channel) =>
          declareQueue(channel, queue, { type: "classic", arguments: full })
        );
        const report = { confirmed: 0, resent: 0, reconnects: 0, nacked: 0 };
        const started = performance.now();
        await rejects(
          publishReliably(queue, numbers(10), {
            connect: { url: BROKER_URL },
            retry: { giveUpAfter: 800 },
            report,
          }),
          (error: Error) => error instanceof PublishNackedError && error.index === 5,
        );
        const ms = performance.now() - started;
        ok(ms >= 800 && ms < 5000, `${ms} ms`);
        deepEqual(report.confirmed, 5);
        ok(report.nacked >= 2, `${report.nacked} refusals`);
        deepEqual(await depth(queue), 5);
      }),
  );
});
