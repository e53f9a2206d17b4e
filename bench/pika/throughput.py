"""Pika twin of bench/_case.ts, for `deno task bench`: the same case on the same broker.

Usage: throughput.py '{"kind": "publish", "queue": "q", "count": 50000, "prefetch": 100}'
Prints one JSON line: count, ms, cpuMs, lost, duplicated (and p50/p99 for latency).
"""
import json
import os
import sys
import time

import pika

spec = json.loads(sys.argv[1])
kind, queue, count = spec["kind"], spec["queue"], spec["count"]
connection = pika.BlockingConnection(
    pika.URLParameters(os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672"))
)
channel = connection.channel()
queue_type = spec.get("queueType", "classic")
persistent = spec.get("persistent", queue_type != "classic")
channel.queue_declare(
    queue=queue,
    durable=persistent,
    arguments={} if queue_type == "classic" else {"x-queue-type": queue_type},
)
properties = pika.BasicProperties(delivery_mode=2) if persistent else None
body = lambda i: str(i).rjust(16, "0").encode()  # noqa: E731
seen = [0] * count

if kind.startswith("consume"):
    for i in range(count):
        channel.basic_publish("", queue, body(i), properties)
    while channel.queue_declare(queue=queue, passive=True).method.message_count < count:
        time.sleep(0.005)
if spec.get("prefetch"):
    channel.basic_qos(prefetch_count=spec["prefetch"])
latencies = []

cpu0, t0 = time.process_time(), time.perf_counter()
if kind == "publish":
    for i in range(count):
        channel.basic_publish("", queue, body(i), properties)
    while channel.queue_declare(queue=queue, passive=True).method.message_count < count:
        time.sleep(0.005)
    seen = [1] * count
elif kind == "publish-confirm-each":
    channel.confirm_delivery()
    for i in range(count):
        channel.basic_publish("", queue, body(i), properties)
        seen[i] += 1
elif kind == "consume-get":
    for _ in range(count):
        method, _, payload = channel.basic_get(queue, auto_ack=False)
        seen[int(payload)] += 1
        channel.basic_ack(method.delivery_tag)
elif kind == "consume-callback":
    taken = 0

    def on_message(ch, method, properties, payload):
        global taken
        seen[int(payload)] += 1
        ch.basic_ack(method.delivery_tag)
        taken += 1
        if taken == count:
            ch.stop_consuming()

    channel.basic_consume(queue, on_message, auto_ack=False)
    channel.start_consuming()
elif kind == "latency":
    for i in range(count):
        start = time.perf_counter()
        channel.basic_publish("", queue, body(i), properties)
        for method, _, payload in channel.consume(queue, auto_ack=True, inactivity_timeout=5):
            break
        latencies.append((time.perf_counter() - start) * 1000)
        seen[i] += 1
    channel.cancel()
ms = (time.perf_counter() - t0) * 1000
cpu_ms = (time.process_time() - cpu0) * 1000
channel.queue_delete(queue)
connection.close()
latencies.sort()
result = {
    "count": count,
    "ms": ms,
    "cpuMs": cpu_ms,
    "lost": seen.count(0),
    "duplicated": sum(max(0, n - 1) for n in seen),
}
if latencies:
    result["p50"] = latencies[len(latencies) // 2]
    result["p99"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
print(json.dumps(result))
