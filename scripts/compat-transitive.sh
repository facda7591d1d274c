#!/usr/bin/env bash
# BACKWARD_TRANSITIVE for every event type: each version must read the data of every older version.
# Usage: scripts/compat-transitive.sh BOOKSHELF [CONTRACTS_DIR]
set -euo pipefail
bookshelf=$1
contracts=${2:-contracts}
failed=0
checked=0
for type_dir in "$contracts"/events/*/; do
    versions=$(find "$type_dir" -maxdepth 1 -name 'v*.schema.json' -printf '%f\n' | sed 's/^v\([0-9]*\)\..*/\1/' | sort -n)
    for new in $versions; do
        for old in $versions; do
            [ "$old" -lt "$new" ] || continue
            checked=$((checked + 1))
            if ! "$bookshelf" contracts compat --mode backward "$type_dir/v$old.schema.json" "$type_dir/v$new.schema.json"; then
                echo "incompatible: $type_dir v$new cannot read v$old" >&2
                failed=1
            fi
        done
    done
done
echo "compat: $checked version pair(s) checked BACKWARD_TRANSITIVE"

# The REST request refuses control characters in a book's text; the released events must not follow, since
# data already written may hold them. The checker must call that tightening BACKWARD-incompatible.
released="$contracts/events/bookshelf.book.added/v2.schema.json"
tightened=$(mktemp --suffix=.schema.json)
trap 'rm -f "$tightened"' EXIT
python3 - "$released" "$contracts/rest/new-book-request/v2/new-book-request.schema.json" "$tightened" <<'PY'
import json, sys
released, request, out = sys.argv[1:]
schema = json.load(open(released))
schema["$defs"]["text"]["pattern"] = json.load(open(request))["$defs"]["plainText"]["pattern"]
json.dump(schema, open(out, "w"))
PY
if reasons=$("$bookshelf" contracts compat --mode backward "$released" "$tightened"); then
    echo "compat: tightening bookshelf.book.added v2's text pattern was called compatible" >&2
    failed=1
elif ! grep -q "pattern" <<<"$reasons"; then
    echo "compat: tightening v2's text pattern was refused without naming the pattern: $reasons" >&2
    failed=1
else
    echo "compat: tightening a released event's text pattern is reported BACKWARD-incompatible"
fi
exit $failed
