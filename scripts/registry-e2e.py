#!/usr/bin/env python3
"""`bookshelf contracts registry` through Confluent's own Python client: list, fetch, look up,
test compatibility, refuse a write, and deserialize a registry-framed record with JSONDeserializer.

Usage: registry-e2e.py BOOKSHELF
"""
import json
import os
import struct
import subprocess
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

bookshelf = sys.argv[1]
contracts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contracts")
added = "events/bookshelf.book.added"


def start():
    process = subprocess.Popen([bookshelf, "contracts", "registry", "--contracts", contracts, "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("registry listening on "), line
    return process, "http://" + line.split()[-1]


registry, url = start()
try:
    client = SchemaRegistryClient({"url": url})
    subjects = client.get_subjects()
    print("subjects:", ", ".join(subjects))
    assert "bookshelf.book.added" in subjects and "bookshelf.events-value" in subjects and "rest.book" in subjects, subjects

    versions = client.get_versions("bookshelf.book.added")
    files = sorted(int(name[1:].split(".")[0]) for name in os.listdir(os.path.join(contracts, added)) if name.startswith("v"))
    assert versions == files, (versions, files)

    latest = client.get_latest_version("bookshelf.book.added")
    on_disk = json.load(open(os.path.join(contracts, added, f"v{files[-1]}.schema.json")))
    assert latest.version == files[-1] and json.loads(latest.schema.schema_str) == on_disk
    by_id = client.get_schema(latest.schema_id)
    assert json.loads(by_id.schema_str) == on_disk

    # Look up: the registered version of a schema, by its content.
    v1 = json.load(open(os.path.join(contracts, added, "v1.schema.json")))
    found = client.lookup_schema("bookshelf.book.added", Schema(json.dumps(v1), "JSON"))
    assert found.version == 1, found

    # Compatibility, answered by our checker: a required property added is not compatible.
    assert client.test_compatibility("bookshelf.book.added", Schema(json.dumps(on_disk), "JSON")) is True
    breaking = dict(on_disk, required=on_disk["required"] + ["isbn"])
    assert client.test_compatibility("bookshelf.book.added", Schema(json.dumps(breaking), "JSON")) is False

    assert client.get_compatibility("bookshelf.book.added") == "BACKWARD_TRANSITIVE"

    # Writes are refused with Confluent's error shape.
    try:
        client.register_schema("bookshelf.book.added", Schema(json.dumps(breaking), "JSON"))
        raise AssertionError("a write was accepted")
    except SchemaRegistryError as error:
        assert error.error_code == 42205 and "source of truth" in error.error_message, error

    # A record framed the way Confluent's serializers frame it (magic 0, schema id), read back by
    # JSONDeserializer, which fetches the envelope and its references from us and validates.
    envelope = client.get_latest_version("bookshelf.events-value")
    assert {ref.subject for ref in envelope.schema.references} >= {"bookshelf.book.added", "bookshelf.book.finished"}
    event = json.load(open(os.path.join(contracts, added, "examples/valid/v1-dune.json")))
    framed = b"\x00" + struct.pack(">I", envelope.schema_id) + json.dumps(event).encode()
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    context = SerializationContext("bookshelf.events", MessageField.VALUE)
    assert deserializer(framed, context) == event
    bad = dict(event, data={k: v for k, v in event["data"].items() if k != "title"})
    try:
        deserializer(b"\x00" + struct.pack(">I", envelope.schema_id) + json.dumps(bad).encode(), context)
        raise AssertionError("an invalid event was deserialized")
    except SerializationError:
        pass
finally:
    registry.terminate()
    registry.wait(10)

# Ids are the same after a restart.
again, url = start()
try:
    assert SchemaRegistryClient({"url": url}).get_latest_version("bookshelf.events-value").schema_id == envelope.schema_id
finally:
    again.terminate()
    again.wait(10)
print(f"registry: {len(subjects)} subjects; listed, fetched, looked up, compatibility tested, write refused, "
      f"a framed event deserialized (schema id {envelope.schema_id}) and an invalid one refused")
