#!/usr/bin/env bash
# Builds each library product's DocC catalog (Sources/<Module>/<Module>.docc) into .build/docs/<Module>.doccarchive
# with the toolchain's docc: symbol graphs from `swift package dump-symbol-graph` (public symbols, from the
# debug build), then `docc convert --warnings-as-errors`, so a link to a symbol or article that does not
# resolve fails the build. No package plugin: nothing is added to Package.swift or its resolution.
#
#   scripts/docs.sh [MODULE...]     default: every library module
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
DOCC=${DOCC:-$(command -v docc || echo "$(dirname "$(readlink -f "$(command -v "$SWIFT")")")/docc")}
MODULES=("$@")
if [ ${#MODULES[@]} -eq 0 ]; then
    MODULES=(BookshelfJSON BookshelfJSONSchema BookshelfContracts BookshelfKafka BookshelfHTTPClient BookshelfDiscovery BookshelfServiceKit BookshelfTesting)
fi

# dump-symbol-graph names no output folder; it prints it last ("Files written to DIR").
dump=$("$SWIFT" package dump-symbol-graph --minimum-access-level public 2>&1) || { echo "$dump" >&2; exit 1; }
graphs=$(printf '%s\n' "$dump" | sed -n 's/^Files written to //p' | tail -1)
if [ -z "$graphs" ] || [ ! -d "$graphs" ]; then
    echo "docs: swift package dump-symbol-graph did not say where it wrote the symbol graphs:" >&2
    echo "$dump" | tail -5 >&2
    exit 1
fi

out=.build/docs
mkdir -p "$out"
status=0
for module in "${MODULES[@]}"; do
    catalog=Sources/$module/$module.docc
    [ -d "$catalog" ] || { echo "docs: $catalog does not exist" >&2; status=1; continue; }
    # The module's own graph and its extensions of other modules' types, nothing of its dependencies.
    input=$(mktemp -d)
    cp "$graphs/$module.symbols.json" "$input/"
    cp "$graphs/$module"@*.symbols.json "$input/" 2>/dev/null || true
    if "$DOCC" convert "$catalog" --additional-symbol-graph-dir "$input" --output-dir "$out/$module.doccarchive" \
        --fallback-display-name "$module" --fallback-bundle-identifier "org.bookshelf.$module" \
        --warnings-as-errors >"$out/$module.log" 2>&1; then
        echo "docs: $module -> $out/$module.doccarchive"
    else
        echo "docs: $module FAILED" >&2
        cat "$out/$module.log" >&2
        status=1
    fi
    rm -rf "$input"
done
exit $status
