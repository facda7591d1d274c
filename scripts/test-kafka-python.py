#!/usr/bin/env python3
"""A non-Swift client against `bookshelf broker`: PyPI's confluent-kafka produces to and consumes from
bookshelf.events, and the broker's stdout/signal contract holds (SIGUSR1 down, SIGUSR2 up, SIGTERM exit).

Usage: test-kafka-python.py PATH/TO/bookshelf    (exit 0 on success, 1 with the reason on failure)
"""
import re
import signal
import subprocess
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def produce(bootstrap, records, timeout):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "message.timeout.ms": int(timeout * 1000), "log_level": 2})
    delivered, errors = [], []

    def report(err, msg):
        (errors if err else delivered).append(err or (msg.partition(), msg.offset()))

    for key, value, headers in records:
        producer.produce("bookshelf.events", key=key, value=value, headers=headers, on_delivery=report)
    producer.flush(timeout + 5)
    return delivered, errors


def main():
    if len(sys.argv) != 2:
        fail("usage: test-kafka-python.py PATH/TO/bookshelf")
    broker = subprocess.Popen([sys.argv[1], "broker", "--partitions", "3"], stdout=subprocess.PIPE, text=True)
    try:
        line = broker.stdout.readline().strip()
        match = re.fullmatch(r"broker listening on (127\.0\.0\.1:\d+)", line)
        if not match:
            fail(f"expected 'broker listening on HOST:PORT' on stdout, got {line!r}")
        bootstrap = match.group(1)

        run = uuid.uuid4().hex[:8]
        records = [(f"book-{run}-{i % 5}".encode(), f'{{"n":{i}}}'.encode(),
                    [("content-type", b"application/cloudevents+json")]) for i in range(50)]
        delivered, errors = produce(bootstrap, records, timeout=10)
        if errors or len(delivered) != len(records):
            fail(f"producing to the embedded broker: {len(delivered)} delivered, errors {errors}")

        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"python-{run}",
                             "auto.offset.reset": "earliest", "fetch.wait.max.ms": 10})
        partitions = consumer.list_topics("bookshelf.events", timeout=10).topics["bookshelf.events"].partitions
        if len(partitions) != 3:
            fail(f"bookshelf.events has {len(partitions)} partitions, --partitions 3 asked for 3")
        consumer.assign([TopicPartition("bookshelf.events", p, 0) for p in partitions])
        seen = {}
        deadline = time.monotonic() + 20
        while len(seen) < len(records) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            seen[(msg.partition(), msg.offset())] = (msg.key(), msg.value(), msg.headers())
        consumer.close()
        if sorted(seen.values()) != sorted((k, v, h) for k, v, h in records):
            fail(f"consumed {len(seen)} records that differ from the {len(records)} produced")

        broker.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        delivered, errors = produce(bootstrap, records[:1], timeout=2)
        if delivered:
            fail("a record was acknowledged while SIGUSR1 had taken every broker down")
        broker.send_signal(signal.SIGUSR2)
        delivered, errors = produce(bootstrap, records[:1], timeout=10)
        if not delivered:
            fail(f"producing after SIGUSR2 brought the brokers back failed: {errors}")

        broker.send_signal(signal.SIGTERM)
        code = broker.wait(timeout=15)
        if code != 0:
            fail(f"bookshelf broker exited with {code} after SIGTERM")
        print(f"ok: confluent-kafka produced and consumed {len(records)} records via bookshelf broker at {bootstrap}; "
              "SIGUSR1/SIGUSR2/SIGTERM behaved")
    finally:
        if broker.poll() is None:
            broker.kill()
            broker.wait()


if __name__ == "__main__":
    main()
