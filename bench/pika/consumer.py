"""Pika twin of consumer.ts --max N, for bench/tutorial.ts: the three consume styles."""
import sys

from tutorial_queue import open_tutorial_queue

style, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

connection, channel = open_tutorial_queue(queue)
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
