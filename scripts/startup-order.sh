#!/usr/bin/env bash
# make startup-order: rewrites scripts/startup-order.txt, the functions of the bookshelf executable
# that start-up and an idle service run. Release builds (the Makefile's RELEASE, the Dockerfile) put every
# function in a section of its own and have the linker place these first, together: the kernel maps an
# executable's pages 64 KiB around each page a process touches, so start-up code spread over the whole
# executable kept most of it resident in every idle service.
#
# Runs `bookshelf up` (the broker, the four services and the gateway) under valgrind's callgrind until the
# stack is ready, leaves it idle for a second, stops it, and lists every function of the executable that ran
# in any of its processes. Regenerate it when start-up code changes; a stale list only places less of it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-scripts/startup-order.txt}
PORT_OFFSET=${PORT_OFFSET:-300}

scripts/ensure-apt.sh valgrind binutils curl
make --no-print-directory release
work=$(mktemp -d)
up_pid=
cleanup() {
    if [[ -n $up_pid ]] && kill -0 "$up_pid" 2>/dev/null; then kill -KILL "$up_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# valgrind 3.19 cannot read the toolchain's DWARF 5 debug information; the symbols are all it needs.
strip --strip-debug -o "$work/bookshelf" .build/release/bookshelf

echo "startup-order: running the stack under callgrind (about a minute)" >&2
valgrind --tool=callgrind --trace-children=yes --demangle=no --compress-strings=no \
    --callgrind-out-file="$work/callgrind.%p" \
    "$work/bookshelf" up --port-offset "$PORT_OFFSET" --ready-timeout 600 --state-file "$work/state.json" \
    > "$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1200); do
    [[ -s $work/state.json ]] && break
    kill -0 "$up_pid" 2>/dev/null || { cat "$work/up.log" >&2; echo "startup-order: the stack stopped before it was ready" >&2; exit 1; }
    sleep 0.5
done
[[ -s $work/state.json ]] || { echo "startup-order: the stack was not ready within 10 minutes" >&2; exit 1; }
sleep 1
kill -INT "$up_pid"
wait "$up_pid" || true
up_pid=

# Every function of the executable (callgrind's `ob=` is the object, `fn=` a function with a cost of its own),
# sorted, so that a new list differs from the last by what changed; callgrind marks recursion levels with a
# "'N" suffix.
python3 - "$work" > "$OUT.new" <<'EOF'
import glob, os, re, sys
work = sys.argv[1]
binary = os.path.join(work, "bookshelf")
names, seen, outputs = [], set(), sorted(glob.glob(os.path.join(work, "callgrind.*")))
for path in outputs:
    current = None
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            current = line[3:].strip()
        elif line.startswith("fn=") and current == binary:
            name = re.sub(r"'\d+$", "", line[3:].strip())
            if name.startswith("0x") or name in seen:
                continue
            seen.add(name)
            names.append(name)
if len(outputs) < 6 or len(names) < 1000:
    sys.exit(f"startup-order: {len(outputs)} processes and {len(names)} functions recorded; expected the whole stack")
print("\n".join(sorted(names)))
print(f"startup-order: {len(names)} functions from {len(outputs)} processes", file=sys.stderr)
EOF
mv "$OUT.new" "$OUT"
# SwiftPM does not know that the link reads the list: without the executable, the next build links it again.
rm -f "$(swift build -c release --show-bin-path)/bookshelf"
echo "startup-order: wrote $OUT; make release links with it" >&2
