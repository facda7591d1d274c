"""Validation throughput, side by side, on one CloudEvents envelope schema with a book in `data`.

Every validator gets the same schema and the same pre-parsed instances (100,000, 10% invalid)
and must agree on every verdict; the JSON Lines part times whole processes on the same file.
"""
import argparse
import json
import pathlib
import random
import resource
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
    """Best of `rounds` passes, in CPU time of this thread (steadier than wall time when other
    work shares the machine) and in wall time."""
    best_cpu = best_wall = float("inf")
    verdicts = None
    for _ in range(rounds):
        start_cpu, start_wall = time.thread_time(), time.perf_counter()
        verdicts = [check(instance) for instance in instances]
        best_cpu = min(best_cpu, time.thread_time() - start_cpu)
        best_wall = min(best_wall, time.perf_counter() - start_wall)
    return {"name": name, "cpu_seconds": best_cpu, "wall_seconds": best_wall, "valid": sum(verdicts)}, verdicts


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
    parser.add_argument("--bin", required=True, help="bookshelf, for `contracts validate --jsonl`")
    parser.add_argument("--bench", required=True, help="bookshelf-bench, for `validator` (the timed loop)")
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

    ours = json.loads(subprocess.run([args.bench, "validator", "--schema", str(schema_path), str(lines_path)],
                                     check=True, capture_output=True, text=True).stdout)
    results = [{"name": "bookshelf (Swift, jansson)", **ours}]

    rs = jsonschema_rs.validator_for(SCHEMA)
    result, rs_verdicts = rate("jsonschema-rs", rs.is_valid, instances, 5)
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
    print("per CPU-second of the validating thread, and per wall-clock second")
    for r in results:
        r["per_cpu_second"] = args.count / r["cpu_seconds"]
        r["per_wall_second"] = args.count / r["wall_seconds"]
    reference = next(r for r in results if r["name"].startswith("jsonschema-rs"))
    python = results[-1]
    print(f"{'validator':<30}{'/s (CPU)':>12}{'vs rs':>8}{'vs py':>9}{'/s (wall)':>13}{'vs rs':>8}")
    for r in results:
        print(f"{r['name']:<30}{r['per_cpu_second']:>12,.0f}{r['per_cpu_second'] / reference['per_cpu_second']:>7.2f}x"
              f"{r['per_cpu_second'] / python['per_cpu_second']:>8.1f}x{r['per_wall_second']:>13,.0f}"
              f"{r['per_wall_second'] / reference['per_wall_second']:>7.2f}x")

    print("\nJSON Lines stream: the same 100,000 lines parsed and validated, each a whole process")
    print("(wall time, and CPU time from getrusage: on a shared machine the CPU time is the steadier figure)")
    cli_wall, cli_cpu, cli = timed([args.bin, "contracts", "validate", "--jsonl", "--schema", str(schema_path), str(lines_path)])
    if cli.returncode != 1 or f"{expected_valid} valid" not in cli.stdout:
        sys.exit(f"bookshelf contracts validate --jsonl: unexpected exit {cli.returncode}: {cli.stdout[-300:]} {cli.stderr[-300:]}")
    script = (
        "import json, sys, jsonschema_rs\n"
        "v = jsonschema_rs.validator_for(json.load(open(sys.argv[1])))\n"
        "n = sum(1 for line in open(sys.argv[2], encoding='utf-8') if line.strip() and v.is_valid(json.loads(line)))\n"
        "print(n)\n"
    )
    py_wall, py_cpu, py = timed([sys.executable, "-c", script, str(schema_path), str(lines_path)])
    if py.returncode != 0 or int(py.stdout) != expected_valid:
        sys.exit(f"json.loads + jsonschema-rs found {py.stdout.strip()} valid lines, expected {expected_valid}")
    print(f"{'':<40}{'wall':>9}{'CPU':>9}{'lines/s (CPU)':>16}")
    print(f"{'bookshelf contracts validate --jsonl':<40}{cli_wall:>8.3f}s{cli_cpu:>8.3f}s{args.count / cli_cpu:>16,.0f}")
    print(f"{'python json.loads + jsonschema-rs':<40}{py_wall:>8.3f}s{py_cpu:>8.3f}s{args.count / py_cpu:>16,.0f}")
    print(f"ratio: bookshelf is {py_wall / cli_wall:.2f}x (wall) and {py_cpu / cli_cpu:.2f}x (CPU) the speed of json.loads + jsonschema-rs")


def timed(command):
    """Runs command; returns its wall time, its CPU time (user + system) and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


if __name__ == "__main__":
    main()
