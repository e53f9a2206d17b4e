// lib/ against the real broker: publishing with confirms, the consume styles, lists of brokers,
// reliable publishing.

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  BrokerError,
  connect,
  connectedTo,
  declareQueue,
  forEachMessage,
  iterateMessages,
  maskUrl,
  pollMessage,
  PublishNackedError,
  publishReliably,
  publishWithConfirms,
} from "../../lib/mod.ts";
import { BROKER_URL, deleteQueue, depth, fill, numbers, settledDepth } from "../_helpers.ts";
import { uniqueQueue } from "../_helpers.ts";
import { withChannel, withQueue, withQueueName } from "../_helpers.ts";
import type { AMQPChannel } from "@cloudamqp/amqp-client/amqp-channel";

/**
 * Opens a connection and channel for a test (at `prefetch`, if given); the connection closes
 * when disposed.
 */
async function open(prefetch?: number): Promise<{ channel: AMQPChannel } & AsyncDisposable> {
  const connection = await connect({ url: BROKER_URL });
  const channel = await connection.channel();
  if (prefetch !== undefined) await channel.basicQos(prefetch);
  return {
    channel,
    [Symbol.asyncDispose]: () => connection.close().catch(() => {}),
  };
}

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
      await using broker = await open(10);
      const { channel } = broker;
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
      await using broker = await open(5);
      const { channel } = broker;
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
        await using broker = await open(4);
        const { channel } = broker;
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
      await using broker = await open(30);
      const { channel } = broker;
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

Deno.test("forEachMessage() with a handler that returns nothing: each as it is read, in order", async (t) => {
  // Such a handler is called as the delivery is read, not from a buffer: what the loop owes
  // still holds, in order, one at a time, and an abort or a throw leaves the rest queued.
  await t.step(
    "300 at prefetch 100, every 7th handled with a promise: all, in order, serial",
    async () => {
      await withQueue("consume-sync", 300, async (queue) => {
        await using broker = await open(100);
        const { channel } = broker;
        const stop = new AbortController();
        const seen: string[] = [];
        let running = 0;
        let most = 0;
        await forEachMessage(channel, queue, (message) => {
          most = Math.max(most, ++running);
          const body = message.bodyString()!;
          const finish = () => {
            seen.push(body);
            message.ack(false).catch(() => {});
            running--;
            if (seen.length === 300) stop.abort();
          };
          if (Number(body) % 7 !== 0) return finish();
          return new Promise<void>((resolve) => setTimeout(resolve, 1)).then(finish);
        }, { noAck: false, stop: stop.signal });
        deepEqual([seen, most], [numbers(300), 1]);
        equal(await depth(queue), 0);
      });
    },
  );
  await t.step("abort inside the 10th of 50 in one read: 10 handled, 40 stay queued", async () => {
    await withQueue("consume-sync-abort", 50, async (queue) => {
      await using broker = await open(50);
      const { channel } = broker;
      const stop = new AbortController();
      const seen: string[] = [];
      await forEachMessage(channel, queue, (message) => {
        seen.push(message.bodyString()!);
        message.ack(false).catch(() => {});
        if (seen.length === 10) stop.abort();
      }, { noAck: false, stop: stop.signal });
      deepEqual(seen, numbers(10));
      // The 40 went back as nacks on this connection; another one counts them once the broker
      // has taken them in (it need not have when forEachMessage resolves).
      equal(await settledDepth(queue, 40), 40);
    });
  });
  await t.step("a throw on the 5th of 20: rejected, the 5th and later stay queued", async () => {
    await withQueue("consume-sync-throw", 20, async (queue) => {
      {
        await using broker = await open(20);
        const { channel } = broker;
        const seen: string[] = [];
        await rejects(
          forEachMessage(channel, queue, (message) => {
            if (seen.push(message.bodyString()!) === 5) throw new Error("handler failed");
            message.ack(false).catch(() => {});
          }, { noAck: false }),
          /handler failed/,
        );
        deepEqual(seen, numbers(5));
      }
      equal(await depth(queue), 16);
    });
  });
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
