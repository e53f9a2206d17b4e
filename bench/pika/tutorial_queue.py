"""What the Pika twins of producer.ts and consumer.ts share: the connection and the queue."""
import os

import pika


def open_tutorial_queue(queue):
    """Connects to AMQP_URL and declares `queue` as lib/queue.ts does: durable, with rejected
    messages parked in QUEUE.dead. Returns (connection, channel)."""
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue=queue + ".dead", durable=True)
    channel.queue_declare(
        queue=queue,
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue + ".dead"},
    )
    return connection, channel
