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
exit $failed
