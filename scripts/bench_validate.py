"""Validation throughput, side by side, on one CloudEvents envelope schema with a book in `data`.

Every validator gets the same schema and the same pre-parsed instances (100,000, 10% invalid)
and must agree on every verdict; the JSON Lines part times whole processes on the same file.
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import time
import uuid

import fastjsonschema
import jsonschema
import jsonschema_rs

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://bookshelf.example/bench/book-event.json",
    "title": "A CloudEvents 1.0 envelope carrying a book",
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "minLength": 1},
        "source": {"type": "string", "minLength": 1},
        "type": {"enum": ["bookshelf.book.added", "bookshelf.book.finished"]},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"type": "string", "minLength": 1},
        "safe": {"type": "boolean"},
        "idempotent": {"type": "boolean"},
        "data": {"$ref": "#/$defs/book"},
    },
    "additionalProperties": False,
    "$defs": {
        "book": {
            "type": "object",
            "required": ["id", "title", "author", "published"],
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 64},
                "title": {"type": "string", "minLength": 1, "maxLength": 500},
                "author": {"type": "string", "minLength": 1, "maxLength": 200},
                "published": {"type": "integer", "minimum": 0, "maximum": 9999},
            },
            "additionalProperties": False,
        }
    },
}

BREAKAGES = [
    lambda e: e.pop("id"),
    lambda e: e.update(specversion="0.3"),
    lambda e: e.update(type="bookshelf.book.burned"),
    lambda e: e["data"].update(published="1965"),
    lambda e: e["data"].update(title=""),
    lambda e: e["data"].pop("author"),
    lambda e: e.update(extra=True),
    lambda e: e["data"].update(published=-3),
    lambda e: e.update(safe="yes"),
    lambda e: e["data"].update(isbn="978-0441013593"),
]


def make_instances(count, rng):
    instances = []
    for index in range(count):
        event = {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "source": "new-book",
            "type": rng.choice(["bookshelf.book.added", "bookshelf.book.finished"]),
            "time": "2026-11-26T14:%02d:%02dZ" % (index // 60 % 60, index % 60),
            "datacontenttype": "application/json",
            "dataschema": "https://bookshelf.example/contracts/book.added/v1.json",
            "safe": False,
            "idempotent": True,
            "data": {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "title": "Book number %d" % index,
                "author": rng.choice(["Frank Herbert", "Ursula K. Le Guin", "Stanisław Lem", "Octavia E. Butler"]),
                "published": rng.randrange(1900, 2026),
            },
        }
        if index % 10 == 9:
            BREAKAGES[(index // 10) % len(BREAKAGES)](event)
        instances.append(event)
    return instances


def rate(name, check, instances, rounds):
    best = float("inf")
    verdicts = None
    for _ in range(rounds):
        start = time.perf_counter()
        verdicts = [check(instance) for instance in instances]
        best = min(best, time.perf_counter() - start)
    return {"name": name, "per_second": len(instances) / best, "seconds": best, "valid": sum(verdicts)}, verdicts


def fast_check(validate):
    def check(instance):
        try:
            validate(instance)
            return True
        except fastjsonschema.JsonSchemaException:
            return False
    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261126)
    instances = make_instances(args.count, rng)
    schema_path = out / "book-event.schema.json"
    schema_path.write_text(json.dumps(SCHEMA, indent=2))
    lines_path = out / "book-events.jsonl"
    lines_path.write_text("".join(json.dumps(instance, ensure_ascii=False) + "\n" for instance in instances))
    expected_valid = sum(1 for index in range(args.count) if index % 10 != 9)
    print(f"schema: {schema_path}  instances: {args.count} ({args.count - expected_valid} invalid)  file: {lines_path}")

    ours = json.loads(subprocess.run([args.bin, "contracts", "bench", "--schema", str(schema_path), str(lines_path)],
                                     check=True, capture_output=True, text=True).stdout)
    results = [{"name": "bookshelf (Swift, jansson)", **ours}]

    rs = jsonschema_rs.validator_for(SCHEMA)
    result, rs_verdicts = rate(f"jsonschema-rs {jsonschema_rs.__version__ if hasattr(jsonschema_rs, '__version__') else ''}".strip(),
                               rs.is_valid, instances, 5)
    results.append(result)
    fast = fastjsonschema.compile(SCHEMA)
    result, fast_verdicts = rate("fastjsonschema", fast_check(fast), instances, 3)
    results.append(result)
    slow = jsonschema.Draft202012Validator(SCHEMA)
    result, slow_verdicts = rate("jsonschema (Python)", slow.is_valid, instances, 1)
    results.append(result)

    for verdicts, name in ((rs_verdicts, "jsonschema-rs"), (fast_verdicts, "fastjsonschema"), (slow_verdicts, "jsonschema")):
        if sum(verdicts) != expected_valid:
            sys.exit(f"{name} found {sum(verdicts)} valid instances, expected {expected_valid}")
    if ours["valid"] != expected_valid:
        sys.exit(f"bookshelf found {ours['valid']} valid instances, expected {expected_valid}")

    print("\nvalidations per second (pre-parsed instances, best of several passes; all agree on every verdict count)")
    reference = next(r for r in results if r["name"].startswith("jsonschema-rs"))["per_second"]
    python = results[-1]["per_second"]
    print(f"{'validator':<30}{'validations/s':>16}{'vs jsonschema-rs':>18}{'vs jsonschema':>15}")
    for r in results:
        print(f"{r['name']:<30}{r['per_second']:>16,.0f}{r['per_second'] / reference:>17.2f}x{r['per_second'] / python:>14.1f}x")

    print("\nJSON Lines stream: the same 100,000 lines parsed and validated, whole process wall time")
    start = time.perf_counter()
    cli = subprocess.run([args.bin, "contracts", "validate", "--jsonl", "--schema", str(schema_path), str(lines_path)],
                         capture_output=True, text=True)
    cli_seconds = time.perf_counter() - start
    if cli.returncode != 1 or f"{expected_valid} valid" not in cli.stdout:
        sys.exit(f"bookshelf contracts validate --jsonl: unexpected exit {cli.returncode}: {cli.stdout[-300:]} {cli.stderr[-300:]}")
    script = (
        "import json, sys, jsonschema_rs\n"
        "v = jsonschema_rs.validator_for(json.load(open(sys.argv[1])))\n"
        "n = sum(1 for line in open(sys.argv[2], encoding='utf-8') if line.strip() and v.is_valid(json.loads(line)))\n"
        "print(n)\n"
    )
    start = time.perf_counter()
    py = subprocess.run([sys.executable, "-c", script, str(schema_path), str(lines_path)], check=True,
                        capture_output=True, text=True)
    py_seconds = time.perf_counter() - start
    if int(py.stdout) != expected_valid:
        sys.exit(f"json.loads + jsonschema-rs found {py.stdout.strip()} valid lines, expected {expected_valid}")
    print(f"{'bookshelf contracts validate --jsonl':<40}{cli_seconds:>8.3f} s{args.count / cli_seconds:>14,.0f} lines/s")
    print(f"{'python json.loads + jsonschema-rs':<40}{py_seconds:>8.3f} s{args.count / py_seconds:>14,.0f} lines/s")
    print(f"ratio: bookshelf is {py_seconds / cli_seconds:.2f}x the speed of json.loads + jsonschema-rs")


if __name__ == "__main__":
    main()
