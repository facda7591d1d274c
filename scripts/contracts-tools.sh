#!/usr/bin/env bash
# End-to-end checks of the contract tools through the CLI, as a team's CI would run them:
# compat's JSON output and witnesses, the shared compatibility suite, and the contracts diff gate
# against the previous commit.
# Usage: scripts/contracts-tools.sh BOOKSHELF [PYTHON]
set -euo pipefail
bookshelf=$1
python=${2:-python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# compat: a maxLength added is backward-incompatible; the witness it prints passes the old schema
# and fails the new one when handed to `contracts validate`.
echo '{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}' > "$scratch/old.json"
echo '{"type":"object","properties":{"title":{"type":"string","maxLength":5}},"required":["title"]}' > "$scratch/new.json"
status=0
"$bookshelf" contracts compat --mode backward --output json "$scratch/old.json" "$scratch/new.json" > "$scratch/report.json" || status=$?
[ "$status" -eq 1 ] || { echo "compat: expected exit 1 for an incompatible change, got $status" >&2; exit 1; }
"$python" - "$scratch" <<'PY'
import json, sys
scratch = sys.argv[1]
report = json.load(open(f"{scratch}/report.json"))
assert report["compatible"] is False and report["mode"] == "backward", report
[finding] = report["findings"]
assert finding["rule"] == "max-length-added" and finding["location"] == "#/properties/title/maxLength", finding
assert finding["witness"]["acceptedBy"] == "old" and finding["witness"]["rejectedBy"] == "new", finding
json.dump(finding["witness"]["document"], open(f"{scratch}/witness.json", "w"))
PY
"$bookshelf" contracts validate --schema "$scratch/old.json" "$scratch/witness.json" > /dev/null
if "$bookshelf" contracts validate --schema "$scratch/new.json" "$scratch/witness.json" > /dev/null; then
    echo "compat: the witness passes the new schema, so it proves nothing" >&2
    exit 1
fi
"$bookshelf" contracts compat --mode backward "$scratch/new.json" "$scratch/old.json"
status=0
"$bookshelf" contracts compat "$scratch/old.json" "$scratch/missing.json" 2> /dev/null || status=$?
[ "$status" -eq 2 ] || { echo "compat: expected exit 2 for a missing file, got $status" >&2; exit 1; }
echo "contracts compat: exit codes, JSON output and witness checked"

# The shared compatibility suite.
"$python" scripts/compat-suite.py contracts-compat-suite --bookshelf "$bookshelf"

# The diff gate against the previous commit. A first commit has nothing to compare with; a
# shallow clone gets one more commit or fails saying how to fix it.
if ! git rev-parse --verify -q 'HEAD~1^{commit}' > /dev/null; then
    if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
        git fetch -q --deepen=1 || {
            echo "contracts diff: HEAD~1 is missing from this shallow clone and cannot be fetched; clone with fetch-depth 2 or more" >&2
            exit 2
        }
    else
        echo "contracts diff: HEAD is the repository's first commit, nothing to compare with"
        exit 0
    fi
fi
"$bookshelf" contracts diff --base HEAD~1 contracts
