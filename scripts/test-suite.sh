#!/usr/bin/env bash
# The official JSON-Schema-Test-Suite (draft 2020-12) against `bookshelf-bench test-suite`
# (Benchmarks/BookshelfBench: the runner ships in no product).
# The suite ships inside PyPI's jsonschema sdist; it is fetched once into a git-ignored cache.
# Required tests must all pass; optional/ (and optional/format/, with formats asserting) are
# reported only.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
BENCH=${BENCH:-.build/debug/bookshelf-bench}
VERSION=4.26.0
CACHE=.cache/json-schema-test-suite
SUITE=$CACHE/jsonschema-$VERSION/json

if [[ ! -d $SUITE/tests/draft2020-12 ]]; then
    mkdir -p "$CACHE"
    "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: "jsonschema==$VERSION" -d "$CACHE"
    tar -xzf "$CACHE/jsonschema-$VERSION.tar.gz" -C "$CACHE" "jsonschema-$VERSION/json"
fi

BOOKSHELF_METASCHEMAS=$("$PY" -c 'import jsonschema_specifications, pathlib; print(pathlib.Path(jsonschema_specifications.__file__).parent / "schemas" / "draft202012")')
export BOOKSHELF_METASCHEMAS

echo "== JSON-Schema-Test-Suite draft2020-12 (jsonschema $VERSION sdist): required"
"$BENCH" test-suite --remotes "$SUITE/remotes" "$SUITE"/tests/draft2020-12/*.json
echo "== optional (reported, not required)"
"$BENCH" test-suite --report-only --remotes "$SUITE/remotes" "$SUITE"/tests/draft2020-12/optional/*.json
echo "== optional/format with format assertion on (reported, not required)"
"$BENCH" test-suite --report-only --assert-format --remotes "$SUITE/remotes" "$SUITE"/tests/draft2020-12/optional/format/*.json
