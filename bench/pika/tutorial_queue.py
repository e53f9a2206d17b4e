"""What the Pika twins of producer.ts and consumer.ts share: the connection and the queue."""
import os

import pika


def open_tutorial_queue(queue):
    """Connects to AMQP_URL and declares `queue` as lib/queue.ts creates it, and as the official
    tutorials declare theirs: durable, quorum. Returns (connection, channel)."""
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True, arguments={"x-queue-type": "quorum"})
    return connection, channel
