#!/usr/bin/env python3
"""verify-topic against the embedded broker: plants conforming records and bad ones on
bookshelf.events with confluent-kafka, then checks that `bookshelf contracts verify-topic` names
exactly the bad ones (partition:offset and reason) and exits 1, that a topic holding only good
records gives exit 0, and that an unreachable broker gives exit 2.

Usage: verify-topic-e2e.py BOOKSHELF
"""
import copy
import json
import os
import subprocess
import sys

from confluent_kafka import Producer

bookshelf = sys.argv[1]
contracts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contracts")
valid = json.load(open(os.path.join(contracts, "events/bookshelf.book.added/examples/valid/v1-dune.json")))
CT = [("content-type", b"application/cloudevents+json")]


def event(**changes):
    document = copy.deepcopy(valid)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return json.dumps(document).encode()


broker = subprocess.Popen([bookshelf, "broker", "--partitions", "1", "--log-level", "error"], stdout=subprocess.PIPE, text=True)
try:
    line = broker.stdout.readline()
    assert line.startswith("broker listening on "), line
    address = line.split()[-1]
    producer = Producer({"bootstrap.servers": address})
    key = valid["subject"].encode()
    records = [
        ("good", key, event(), CT),
        ("wrong key", b"00000000-0000-4000-8000-000000000000", event(), CT),
        ("no content-type", key, event(), []),
        ("data.title missing", key, event(data={k: v for k, v in valid["data"].items() if k != "title"}), CT),
        ("not JSON", key, b"{not json", CT),
        ("good again", key, event(id="1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a02"), CT),
    ]
    for _, record_key, value, headers in records:
        producer.produce("bookshelf.events", key=record_key, value=value, headers=headers, partition=0)
    assert producer.flush(10) == 0
    del producer  # before the broker stops, or librdkafka logs its reconnection attempts

    def verify(*extra):
        return subprocess.run([bookshelf, "contracts", "verify-topic", "--broker", address, "--contracts", contracts, *extra],
                              capture_output=True, text=True, timeout=60)

    run = verify()
    print(run.stdout, end="")
    assert run.returncode == 1, (run.returncode, run.stderr)
    lines = run.stdout.splitlines()
    bad = {int(line.split(":")[1]): line for line in lines if line.startswith("0:")}
    assert sorted(bad) == [1, 2, 3, 4], lines
    assert "is not the event's subject" in bad[1], bad[1]
    assert "header content-type missing" in bad[2], bad[2]
    assert "title" in bad[3], bad[3]
    assert "value is not JSON" in bad[4], bad[4]
    assert lines[-1] == "bookshelf.events: 6 record(s), 2 conform, 4 do not", lines[-1]
    report = json.loads(verify("--output", "json").stdout)
    assert report["records"] == 6 and [r["offset"] for r in report["nonconforming"]] == [1, 2, 3, 4], report

    # The dead-letter topic has a channel too, and an empty topic conforms.
    run = verify("--topic", "bookshelf.deadletter")
    assert run.returncode == 0 and run.stdout.strip() == "bookshelf.deadletter: 0 record(s), 0 conform, 0 do not", run
finally:
    broker.terminate()
    broker.wait(10)

run = subprocess.run([bookshelf, "contracts", "verify-topic", "--broker", "127.0.0.1:1", "--contracts", contracts, "--timeout", "3"],
                     capture_output=True, text=True, timeout=60)
assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
print("verify-topic: 4 planted bad records found, good ones passed, unreachable broker exit 2")
