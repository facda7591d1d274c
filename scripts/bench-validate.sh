#!/usr/bin/env bash
# make bench-validate: validations/s of the validator (release, `bookshelf-bench validator`) beside
# jsonschema-rs, fastjsonschema and Python's jsonschema, on the same envelope schema and the same 100,000
# instances (10% invalid), then a 100,000-line JSON Lines stream through `bookshelf contracts validate --jsonl`
# against json.loads + jsonschema-rs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=${BIN:-.build/release/bookshelf}
BENCH=${BENCH:-.build/release/bookshelf-bench}
BOOKSHELF_METASCHEMAS=$("$PY" -c 'import jsonschema_specifications, pathlib; print(pathlib.Path(jsonschema_specifications.__file__).parent / "schemas" / "draft202012")')
export BOOKSHELF_METASCHEMAS
exec "$PY" scripts/bench_validate.py --bin "$BIN" --bench "$BENCH" --out bench/out
