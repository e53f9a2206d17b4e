#!/usr/bin/env python3
"""Another client on the same broker, for tests/sharing_test.ts: Pika declaring a queue the way
the article's producer.py/consumer.py do ("article": classic, not durable) or the way the
official RabbitMQ tutorials do ("official": durable, x-queue-type quorum), then producing,
consuming in one of the article's three styles, or answering fib(n) requests.

    python3 peer.py article|official QUEUE produce N
    python3 peer.py article|official QUEUE consume N get|callback|iterator
    python3 peer.py article|official QUEUE rpc N

A refused declaration (406) prints one line and exits 3. Written for these tests; it shares
no code with the article or the tutorials.
"""

import os
import sys
import time

import pika

way, queue, action, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
style = sys.argv[5] if len(sys.argv) > 5 else "callback"

url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
try:
    if way == "article":
        channel.queue_declare(queue=queue)
    else:
        channel.queue_declare(queue=queue, durable=True, arguments={"x-queue-type": "quorum"})
except pika.exceptions.ChannelClosedByBroker as error:
    print(f"declare refused: {error.reply_code} {error.reply_text}", flush=True)
    sys.exit(3)
print(" [*] Declared", flush=True)

taken = 0


def take(body):
    global taken
    taken += 1
    print(f" [x] Received '{body.decode()}'", flush=True)


if action == "produce":
    # With confirms, so that "produced" means the broker has them: a publish without one, to a
    # quorum queue on a loaded broker, is not known to have arrived when the connection closes.
    channel.confirm_delivery()
    for i in range(count):
        channel.basic_publish(exchange="", routing_key=queue, body=str(i))
        print(f" [x] Sent '{i}'", flush=True)
elif action == "consume" and style == "get":
    while taken < count:
        method, _properties, body = channel.basic_get(queue=queue, auto_ack=False)
        if method is None:
            time.sleep(0.05)
            continue
        take(body)
        channel.basic_ack(delivery_tag=method.delivery_tag)
elif action == "consume" and style == "callback":

    def on_message(ch, method, _properties, body):
        take(body)
        ch.basic_ack(delivery_tag=method.delivery_tag)
        if taken == count:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=False)
    channel.start_consuming()
elif action == "consume":
    channel.basic_qos(prefetch_count=1)
    for method, _properties, body in channel.consume(queue, inactivity_timeout=10):
        if method is None:
            break
        take(body)
        channel.basic_ack(delivery_tag=method.delivery_tag)
        if taken == count:
            break
    channel.cancel()
elif action == "rpc":

    def fib(n):
        a, b = 0, 1
        for _ in range(n):
            a, b = b, a + b
        return a

    def on_request(ch, method, properties, body):
        global taken
        taken += 1
        answer = str(fib(int(body)))
        print(f" [.] fib({body.decode()}) = {answer}", flush=True)
        ch.basic_publish(
            exchange="",
            routing_key=properties.reply_to,
            properties=pika.BasicProperties(correlation_id=properties.correlation_id),
            body=answer,
        )
        ch.basic_ack(delivery_tag=method.delivery_tag)
        if taken == count:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=queue, on_message_callback=on_request)
    channel.start_consuming()
connection.close()
