#!/usr/bin/env bash
# make e2e-local: the E2E tests against `bookshelf up`. The stack runs in the background with a state
# file; whatever happens (a failing test, Ctrl-C), it is stopped by its pid with SIGTERM and waited for.
# The stack takes ports 8000-8084, or the same moved by BOOKSHELF_PORT_OFFSET; without that variable
# it takes the first of offsets 0, 1000, ... 9000 whose ports are all free, so a `make run` left
# running in another terminal does not make `make test` fail.
# BOOKSHELF_BROKER (read by `bookshelf up`) puts the stack on an external broker instead of the embedded
# one (scripts/e2e-tansu.sh does); E2E_THEN, when set, is a command run after the tests, before the stack
# stops, with BOOKSHELF_GATEWAY_URL and BOOKSHELF_STATE_FILE set.
set -euo pipefail
cd "$(dirname "$0")/.."

ports_free() {
  python3 - "$1" <<'PY'
import socket, sys
offset = int(sys.argv[1])
for port in (8000, 8080, 8081, 8082, 8084):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port + offset))
        except OSError:
            sys.exit(1)
PY
}
if [ -z "${BOOKSHELF_PORT_OFFSET:-}" ]; then
  for offset in 0 1000 2000 3000 4000 5000 6000 7000 8000 9000; do
    if ports_free "$offset"; then
      export BOOKSHELF_PORT_OFFSET=$offset
      break
    fi
  done
  [ -n "${BOOKSHELF_PORT_OFFSET:-}" ] || { echo "e2e-local: no free set of ports for the stack" >&2; exit 1; }
fi
bin=${BIN:-.build/debug/bookshelf}
work=${E2E_WORK:-.build/e2e-local}
mkdir -p "$work"
state="$work/stack.json"
log="$work/up.log"
rm -f "$state"

"$bin" up --state-file "$state" >"$log" 2>&1 &
up_pid=$!

stop_stack() {
  local status=$?
  trap - EXIT INT TERM
  if kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid"
    local up_status=0
    wait "$up_pid" || up_status=$?
    if [ "$up_status" -ne 0 ]; then
      echo "e2e-local: bookshelf up exited with status $up_status when stopped (log: $log)" >&2
      [ "$status" -ne 0 ] || status=1
    fi
  fi
  if [ "$status" -ne 0 ]; then
    echo "e2e-local: failed; the last lines of bookshelf up ($log):" >&2
    tail -n 60 "$log" >&2 || true
  fi
  exit "$status"
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# up writes the state file only once every child answers ready; it exits (naming the child) if one cannot.
for _ in $(seq 1 600); do
  [ -s "$state" ] && break
  if ! kill -0 "$up_pid" 2>/dev/null || [ "$(ps -o stat= -p "$up_pid" 2>/dev/null | cut -c1)" = Z ]; then
    up_status=0
    wait "$up_pid" || up_status=$?
    echo "e2e-local: bookshelf up exited with status $up_status before the stack was ready" >&2
    exit 1
  fi
  sleep 0.2
done
[ -s "$state" ] || { echo "e2e-local: no state file after 120 s" >&2; exit 1; }

gateway=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["gateway"])' "$state")
echo "e2e-local: stack ready, gateway $gateway (log: $log)"
BOOKSHELF_GATEWAY_URL="$gateway" BOOKSHELF_STATE_FILE="$PWD/$state" ${SWIFT:-swift} test --filter E2ETests
if [ -n "${E2E_THEN:-}" ]; then
  BOOKSHELF_GATEWAY_URL="$gateway" BOOKSHELF_STATE_FILE="$PWD/$state" bash -c "$E2E_THEN"
fi
