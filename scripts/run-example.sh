#!/usr/bin/env bash
# make run-example: the example reviews service (Examples/Reviews) on `bookshelf broker`, as
# docs/getting-started.md runs it. The broker runs in the background; when the service stops (Ctrl-C), the
# broker is stopped by its pid. REVIEWS_PORT (default 8090) moves the service.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/debug/bookshelf}
example=${EXAMPLE:-Examples/Reviews}
work=$example/.build/run-example
mkdir -p "$work"

"$bin" broker --log-level warning --topic reviews.events:3 --topic reviews.deadletter >"$work/broker.out" 2>"$work/broker.log" &
broker_pid=$!
trap 'kill -TERM "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "^broker listening on " "$work/broker.out" && break
  kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker.log" >&2; exit 1; }
  sleep 0.1
done
broker=$(sed -n 's/^broker listening on //p' "$work/broker.out")
[ -n "$broker" ] || { echo "run-example: bookshelf broker printed no address" >&2; exit 1; }
echo "run-example: broker on $broker; reviews on http://127.0.0.1:${REVIEWS_PORT:-8090} (Ctrl-C stops both)" >&2

cd "$example"
.build/debug/reviews --broker "$broker" --port "${REVIEWS_PORT:-8090}"
