#!/usr/bin/env python3
"""Checks an AsyncAPI 3.0 document with PyPI's asyncapi3, a model of the whole 3.0 specification (its
objects, required fields, enums, and `x-` as the only extension keys), installed by `make setup`.

The official JSON Schema of AsyncAPI 3.0.0 ships in no Python package, and a fresh clone has nothing
beside it, so this check needs only .venv. Exit 0 when the document conforms, 1 with each finding.
"""
import json
import sys
import warnings

# asyncapi3 0.0.2 warns at import that two model fields are named "schema"; that is its business, not ours.
warnings.filterwarnings("ignore", category=UserWarning, module="asyncapi3")
from asyncapi3 import AsyncAPI3  # noqa: E402
from pydantic import ValidationError  # noqa: E402


def main(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    if document.get("asyncapi") != "3.0.0":
        print(f"{path}: asyncapi is {document.get('asyncapi')!r}; this check reads AsyncAPI 3.0.0")
        return 1
    try:
        AsyncAPI3.model_validate(document)
    except ValidationError as error:
        for finding in error.errors():
            location = "/".join(str(part) for part in finding["loc"])
            print(f"{path}: {location}: {finding['msg']}")
        return 1
    print(f"{path}: AsyncAPI 3.0.0, conforms")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: asyncapi-check.py ASYNCAPI.json")
    sys.exit(main(sys.argv[1]))
