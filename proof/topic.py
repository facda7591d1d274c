"""The event topic seen from outside the services, with confluent-kafka: how far each partition reaches
(to prove that a request produced nothing) and the records themselves (to deliver them a second time)."""

from confluent_kafka import Consumer, Producer, TopicPartition

EVENTS = "bookshelf.events"


def _consumer(broker):
    return Consumer({
        "bootstrap.servers": broker,
        "group.id": "proof-reader",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })


def high_watermarks(broker, timeout=10.0):
    """{partition: next offset} of the events topic."""
    consumer = _consumer(broker)
    try:
        metadata = consumer.list_topics(EVENTS, timeout=timeout)
        partitions = sorted(metadata.topics[EVENTS].partitions)
        return {p: consumer.get_watermark_offsets(TopicPartition(EVENTS, p), timeout=timeout)[1] for p in partitions}
    finally:
        consumer.close()


def read_all(broker, timeout_s=30.0):
    """Every record of the events topic up to its current end, as (partition, key, value, headers)."""
    import time
    ends = high_watermarks(broker)
    consumer = _consumer(broker)
    records = []
    try:
        consumer.assign([TopicPartition(EVENTS, p, 0) for p, end in ends.items() if end > 0])
        remaining = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == -191:  # _PARTITION_EOF
                    remaining.discard(message.partition())
                    continue
                raise RuntimeError(f"reading {EVENTS}: {message.error()}")
            if message.offset() < ends[message.partition()]:
                records.append((message.partition(), message.key(), message.value(), message.headers() or []))
            if message.offset() + 1 >= ends[message.partition()]:
                remaining.discard(message.partition())
        if remaining:
            raise RuntimeError(f"partitions {sorted(remaining)} not read to their end within {timeout_s} s")
    finally:
        consumer.close()
    return records


def produce_again(broker, records, timeout_s=30.0):
    """Each record once more, to the partition it came from, byte for byte: a duplicate delivery."""
    producer = Producer({"bootstrap.servers": broker, "enable.idempotence": False, "linger.ms": 5})
    failures = []

    def report(error, _message):
        if error is not None:
            failures.append(str(error))

    for partition, key, value, headers in records:
        producer.produce(EVENTS, value=value, key=key, partition=partition, headers=headers, on_delivery=report)
        producer.poll(0)
    left = producer.flush(timeout_s)
    if left or failures:
        raise RuntimeError(f"re-producing {len(records)} records: {left} undelivered, failures {failures[:3]}")
