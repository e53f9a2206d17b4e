"""Pika twin of consumer.ts --max N, for bench/tutorial.ts: the three consume styles."""
import os
import sys

import pika

url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
style, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
# Declared as lib/queue.ts declares it: durable, rejected messages parked in QUEUE.dead.
channel.queue_declare(queue=queue + ".dead", durable=True)
channel.queue_declare(
    queue=queue,
    durable=True,
    arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue + ".dead"},
)
channel.basic_qos(prefetch_count=1)
received = 0

if style == "get":
    while received < count:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=False)
        if method is None:
            continue
        print(f" [x] Received '{body.decode()}'")
        channel.basic_ack(delivery_tag=method.delivery_tag)
        received += 1
elif style == "callback":
    def on_message(ch, method, properties, body):
        global received
        print(f" [x] Received '{body.decode()}'")
        ch.basic_ack(delivery_tag=method.delivery_tag)
        received += 1
        if received == count:
            ch.stop_consuming()

    channel.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=False)
    channel.start_consuming()
else:
    for method, properties, body in channel.consume(queue, inactivity_timeout=5):
        if method is None:
            continue
        print(f" [x] Received '{body.decode()}'")
        channel.basic_ack(delivery_tag=method.delivery_tag)
        received += 1
        if received == count:
            break
    channel.cancel()
connection.close()
