#!/usr/bin/env python3
"""The polyglot check: other languages' tools must give our verdict on every contract example.

For every example in contracts/ (README.md there describes the layout and the expectation format),
each validator must find valid examples valid, and invalid ones invalid with every expected
(instanceLocation, keyword) among its errors:
- Python's jsonschema (Draft202012Validator, `$ref` resolved offline through a referencing
  Registry of every schema by its `$id`);
- Rust's jsonschema (the jsonschema-rs binding, offline, the same registry);
- with --bookshelf, ours: `bookshelf contracts validate --jsonl --output json`.
Any disagreement is printed naming the file, and the exit status is 1.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

EVENT_FOLDERS = ("cloudevents", "events")
ENVELOPE = pathlib.Path("cloudevents/envelope.schema.json")


def load_schemas(root):
    """Every *.schema.json under root, by path, checked against the 2020-12 metaschema."""
    schemas = {}
    for path in sorted(root.rglob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        schemas[path] = schema
    return schemas


def registry_of(schemas):
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
    )


def subject_schema(root, folder):
    """The schema a folder's examples are instances of (contracts/README.md, "Examples")."""
    relative = folder.relative_to(root)
    if relative.parts[0] in EVENT_FOLDERS:
        return root / ENVELOPE
    candidates = sorted(folder.glob("*.schema.json"))
    if len(candidates) != 1:
        raise SystemExit(f"{folder}: examples need exactly one *.schema.json beside them, found {len(candidates)}")
    return candidates[0]


def pointer(path):
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in path)


def python_failures(validator, instance):
    """(instanceLocation, keyword) of every error, including those nested in anyOf/oneOf contexts."""
    found = set()
    pending = list(validator.iter_errors(instance))
    while pending:
        error = pending.pop()
        found.add((pointer(error.absolute_path), error.validator))
        pending.extend(error.context or ())
    return found


def rust_failures(validator, instance):
    return {(pointer(error.instance_path), str(error.schema_path[-1])) for error in validator.iter_errors(instance)}


def swift_failures(bookshelf, root, schema_path, instances):
    """Ours, in one process per schema: one JSON Lines document per example, basic output back."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        for instance in instances:
            handle.write(json.dumps(instance, ensure_ascii=False) + "\n")
        name = handle.name
    try:
        run = subprocess.run(
            [bookshelf, "contracts", "validate", "--contracts", str(root), "--schema", str(schema_path),
             "--jsonl", "--output", "json", name],
            capture_output=True, text=True,
        )
    finally:
        pathlib.Path(name).unlink()
    if run.returncode not in (0, 1):
        raise SystemExit(f"bookshelf contracts validate --schema {schema_path} failed ({run.returncode}): {run.stderr.strip()}")
    results = {}
    for line in run.stdout.splitlines():
        result = json.loads(line)
        number = int(result["instance"].rsplit(":", 1)[1])
        results[number] = {(e["instanceLocation"], e["keywordLocation"].rsplit("/", 1)[-1]) for e in result.get("errors", [])}
    if len(results) != len(instances):
        raise SystemExit(f"bookshelf answered for {len(results)} of {len(instances)} documents of {schema_path}")
    return [results[number] for number in range(1, len(instances) + 1)]


def verdicts(name, who, found, kind, expect):
    """The disagreements of one validator on one example."""
    valid = not found
    problems = []
    if valid != (kind == "valid"):
        problems.append(f"{name}: {who} says {'valid' if valid else 'invalid'}, the example is {kind}"
                        + ("" if valid else f" ({sorted(found)})"))
    for location, keyword in expect:
        if not valid and (location, keyword) not in found:
            problems.append(f"{name}: {who} reports no '{keyword}' failure at '{location}' (it reports {sorted(found)})")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contracts", type=pathlib.Path, nargs="?", default=pathlib.Path("contracts"))
    parser.add_argument("--bookshelf", help="the bookshelf executable whose verdicts must agree")
    args = parser.parse_args()
    root = args.contracts.resolve()

    schemas = load_schemas(root)
    registry = registry_of(schemas)
    rust_registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    problems = []
    checked = 0
    for examples in sorted(root.rglob("examples")):
        schema_path = subject_schema(root, examples.parent)
        python = Draft202012Validator(schemas[schema_path], registry=registry)
        rust = jsonschema_rs.Draft202012Validator(schemas[schema_path], registry=rust_registry, offline=True)
        cases = []
        for kind in ("valid", "invalid"):
            for path in sorted((examples / kind).glob("*.json")):
                document = json.loads(path.read_text(encoding="utf-8"))
                if kind == "valid":
                    cases.append((path.relative_to(root.parent), kind, document, []))
                else:
                    expect = [(e["instanceLocation"], e["keyword"]) for e in document["expect"]]
                    cases.append((path.relative_to(root.parent), kind, document["instance"], expect))
        ours = swift_failures(args.bookshelf, root, schema_path, [c[2] for c in cases]) if args.bookshelf else None
        for index, (name, kind, instance, expect) in enumerate(cases):
            problems += verdicts(name, "jsonschema (Python)", python_failures(python, instance), kind, expect)
            problems += verdicts(name, "jsonschema-rs (Rust)", rust_failures(rust, instance), kind, expect)
            if ours is not None:
                problems += verdicts(name, "bookshelf (Swift)", ours[index], kind, expect)
            checked += 1

    for problem in problems:
        print(problem)
    who = "jsonschema, jsonschema-rs" + (" and bookshelf" if args.bookshelf else "")
    print(f"polyglot: {checked} examples, {len(schemas)} schemas; {who}: {len(problems)} disagreement(s)")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
