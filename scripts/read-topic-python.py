#!/usr/bin/env python3
"""The Python team's read of a running stack's topic: PyPI's confluent-kafka reads bookshelf.events from the
stack's broker (embedded or external), from the beginning to the end offsets, and checks what the services
produced, with the team's own tools only:
- every record carries `content-type: application/cloudevents+json` and is a CloudEvent valid against
  contracts/cloudevents/envelope.schema.json (Python's jsonschema, `$ref` resolved offline by `$id`);
- its key is the book id (`data.id`), and every finished book was added before, on the same partition;
- every book the gateway lists has its `bookshelf.book.added` event on the topic.

Usage: read-topic-python.py STATE_FILE [--contracts DIR]   (the JSON `bookshelf up --state-file` writes)
Exit 0 on success, 1 with every finding on failure.
"""
import argparse
import json
import pathlib
import sys
import urllib.request
import uuid

from confluent_kafka import Consumer, KafkaException, TopicPartition
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

TOPIC = "bookshelf.events"
CONTENT_TYPE = b"application/cloudevents+json"


def envelope_validator(contracts):
    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(contracts.rglob("*.schema.json"))]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)) for schema in schemas)
    envelope = json.loads((contracts / "cloudevents" / "envelope.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(envelope, registry=registry)


def read_topic(bootstrap, timeout=30):
    """Every record of TOPIC up to the end offsets seen at start, as (partition, offset, key, headers, value)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"python-read-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 10, "log_level": 3})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=timeout).topics[TOPIC].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=timeout)[1] for p in partitions}
        consumer.assign([TopicPartition(TOPIC, p, 0) for p in partitions])
        records, position = [], {p: 0 for p in partitions}
        while any(position[p] < ends[p] for p in partitions):
            msg = consumer.poll(timeout)
            if msg is None:
                behind = {p: ends[p] - position[p] for p in partitions if position[p] < ends[p]}
                raise SystemExit(f"FAIL: no record within {timeout} s; still behind by {behind}")
            if msg.error():
                raise KafkaException(msg.error())
            position[msg.partition()] = msg.offset() + 1
            if msg.offset() < ends[msg.partition()]:
                records.append((msg.partition(), msg.offset(), msg.key(), msg.headers() or [], msg.value()))
        return records, len(partitions)
    finally:
        consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state_file")
    parser.add_argument("--contracts", default="contracts", type=pathlib.Path)
    args = parser.parse_args()
    state = json.loads(pathlib.Path(args.state_file).read_text(encoding="utf-8"))
    bootstrap, gateway = state["broker"], state["gateway"]

    validator = envelope_validator(args.contracts)
    records, partition_count = read_topic(bootstrap)
    findings, added = [], {}
    for partition, offset, key, headers, value in records:
        where = f"{partition}:{offset}"
        if (("content-type", CONTENT_TYPE)) not in headers:
            findings.append(f"{where}: no content-type: application/cloudevents+json header ({headers})")
        try:
            event = json.loads(value)
        except (TypeError, ValueError) as error:
            findings.append(f"{where}: the value is not JSON: {error}")
            continue
        errors = sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path))
        findings += [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:3]]
        book = (event.get("data") or {}).get("id")
        if key is None or key.decode("utf-8", "replace") != book:
            findings.append(f"{where}: key {key!r} is not the book id {book!r}")
        if event.get("type") == "bookshelf.book.added":
            added[book] = partition
        elif event.get("type") == "bookshelf.book.finished" and added.get(book) != partition:
            findings.append(f"{where}: book {book} finished without being added before on partition {partition}")

    with urllib.request.urlopen(f"{gateway}/bookshelf/books", timeout=10) as reply:
        listed = [book["id"] for book in json.load(reply)]
    missing = [book for book in listed if book not in added]
    if missing:
        findings.append(f"{len(missing)} of the {len(listed)} books the gateway lists have no bookshelf.book.added record, e.g. {missing[:3]}")
    if not listed:
        findings.append("the gateway lists no books: the journeys produced nothing to read")

    if findings:
        print(f"FAIL: confluent-kafka's read of {TOPIC} on {bootstrap}:", *findings, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"read-topic-python: {len(records)} records on {partition_count} partitions of {TOPIC} at {bootstrap}, "
          f"each a valid CloudEvent keyed by its book; all {len(listed)} listed books have their added event")


if __name__ == "__main__":
    main()
