"""Pika twin of producer.ts, for bench/tutorial.ts: same queue settings, same confirms."""
import sys

import pika

from tutorial_queue import open_tutorial_queue

queue = sys.argv[1] if len(sys.argv) > 1 else "hello"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100

connection, channel = open_tutorial_queue(queue)
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
