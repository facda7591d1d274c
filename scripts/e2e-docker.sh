#!/usr/bin/env bash
# make e2e: the E2E tests against the docker compose stack (real Kafka and Consul). The stack is taken
# down with its volumes whatever happens, so a failed step leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose -f docker-compose.yml)
elif [ -x .venv/bin/docker-compose ]; then
  compose=(.venv/bin/docker-compose -f docker-compose.yml)
else
  echo "e2e: needs Docker Compose (docker compose, or make deps-py for docker-compose)" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "e2e: needs a running Docker engine (docker info fails); make e2e-local runs the same tests without one" >&2
  exit 1
fi

take_down() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$status" -ne 0 ]; then
    "${compose[@]}" ps -a >&2 || true
    "${compose[@]}" logs --tail 40 >&2 || true
  fi
  "${compose[@]}" down -v --remove-orphans || true
  exit "$status"
}
trap take_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${compose[@]}" up -d --build --wait --wait-timeout 300
BOOKSHELF_GATEWAY_URL=http://localhost:8000 ${SWIFT:-swift} test --filter E2ETests
