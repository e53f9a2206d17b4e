"""Pika twin of producer.ts, for bench/tutorial.ts: same queue settings, same confirms."""
import os
import sys

import pika

url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
queue = sys.argv[1] if len(sys.argv) > 1 else "hello"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100

connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
# Declared as lib/queue.ts declares it: durable, rejected messages parked in QUEUE.dead.
channel.queue_declare(queue=queue + ".dead", durable=True)
channel.queue_declare(
    queue=queue,
    durable=True,
    arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue + ".dead"},
)
channel.confirm_delivery()
for i in range(count):
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=str(i),
        properties=pika.BasicProperties(delivery_mode=2),
    )
    print(f" [x] Sent '{i}'")
connection.close()
