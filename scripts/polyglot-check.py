#!/usr/bin/env python3
"""The polyglot check: other languages' tools must give our verdict on every contract example.

For every example in contracts/ (README.md there describes the layout and the expectation format):
- Python's jsonschema (Draft 2020-12, `$ref` resolved offline through a registry of every schema by
  its `$id`) must find valid examples valid, and invalid ones invalid with every expected
  (instanceLocation, keyword) among its errors;
- with --bookshelf, `bookshelf contracts validate` must give the same verdict.
Any disagreement is printed naming the file, and the exit status is 1.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

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


def failures(validator, instance):
    """(instanceLocation, keyword) of every error, including those nested in anyOf/oneOf contexts."""
    found = set()
    pending = list(validator.iter_errors(instance))
    while pending:
        error = pending.pop()
        found.add((pointer(error.absolute_path), error.validator))
        pending.extend(error.context or ())
    return found


def swift_verdict(bookshelf, root, schema_path, instance):
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
        json.dump(instance, handle, ensure_ascii=False)
        name = handle.name
    try:
        run = subprocess.run(
            [bookshelf, "contracts", "validate", "--contracts", str(root), "--schema", str(schema_path), name],
            capture_output=True, text=True,
        )
    finally:
        pathlib.Path(name).unlink()
    if run.returncode not in (0, 1):
        return None, (run.stderr or run.stdout).strip()
    return run.returncode == 0, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contracts", type=pathlib.Path, nargs="?", default=pathlib.Path("contracts"))
    parser.add_argument("--bookshelf", help="the bookshelf executable whose verdict must agree")
    args = parser.parse_args()
    root = args.contracts.resolve()

    schemas = load_schemas(root)
    registry = registry_of(schemas)
    problems = []
    checked = 0
    for examples in sorted(root.rglob("examples")):
        schema_path = subject_schema(root, examples.parent)
        validator = Draft202012Validator(schemas[schema_path], registry=registry)
        for kind in ("valid", "invalid"):
            for path in sorted((examples / kind).glob("*.json")):
                name = path.relative_to(root.parent)
                document = json.loads(path.read_text(encoding="utf-8"))
                if kind == "valid":
                    instance, expect = document, []
                else:
                    instance = document["instance"]
                    expect = [(e["instanceLocation"], e["keyword"]) for e in document["expect"]]
                found = failures(validator, instance)
                valid = not found
                if valid != (kind == "valid"):
                    problems.append(f"{name}: jsonschema says {'valid' if valid else 'invalid'}, the example is {kind}"
                                    + ("" if valid else f" ({sorted(found)})"))
                for location, keyword in expect:
                    if (location, keyword) not in found:
                        problems.append(f"{name}: jsonschema reports no '{keyword}' failure at '{location}' (it reports {sorted(found)})")
                if args.bookshelf:
                    swift_valid, error = swift_verdict(args.bookshelf, root, schema_path, instance)
                    if swift_valid is None:
                        problems.append(f"{name}: bookshelf contracts validate failed: {error}")
                    elif swift_valid != valid:
                        problems.append(f"{name}: bookshelf says {'valid' if swift_valid else 'invalid'}, jsonschema says {'valid' if valid else 'invalid'}")
                checked += 1

    for problem in problems:
        print(problem)
    who = "jsonschema and bookshelf" if args.bookshelf else "jsonschema"
    print(f"polyglot: {checked} examples, {len(schemas)} schemas; {who}: {len(problems)} disagreement(s)")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
