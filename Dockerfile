# syntax=docker/dockerfile:1
# One image for every role: `docker run bookshelf <subcommand>` (gateway, new-book, book-read,
# list-books, last-read, contracts …). Built with `docker build -t bookshelf:0.1.0 .`.

# Ubuntu 24.04 (noble): its librdkafka is 2.3.0. The kit needs 2.2 or newer (Debian 12's 2.0.2 cannot
# read tagged fields, so brokers such as Tansu fail its first request); the build stops if it gets less.
FROM swift:6.3.1-noble AS build
# The Ubuntu and Swift toolchain images both move to the current security-patched package and drop
# the previous one, so pinning an apt version would break the build at the next Ubuntu update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config librdkafka-dev libjansson-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/* \
    && pkg-config --atleast-version=2.2.0 rdkafka
WORKDIR /src
# Resolving first keeps the dependency checkout in its own layer: editing Sources/ does not re-fetch it.
COPY Package.* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks/BookshelfBench ./Benchmarks/BookshelfBench
COPY scripts/startup-order.txt ./scripts/
# The static Swift standard library and Foundation leave the runtime image needing only the C libraries.
# Start-up code placed first and together, as `make release` does (see the Makefile).
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product bookshelf --static-swift-stdlib \
        -Xswiftc -Xfrontend -Xswiftc -function-sections \
        -Xlinker --symbol-ordering-file=/src/scripts/startup-order.txt -Xlinker --no-warn-symbol-ordering \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/bookshelf" /out/bookshelf

# Swagger UI for /apidocs/index.html, from the same pinned PyPI package `make setup` installs (see
# requirements-swagger-ui.txt); only the two files the page needs reach the image.
FROM python:3.11-slim-bookworm AS swagger-ui
COPY requirements-swagger-ui.txt /tmp/
RUN pip install --no-cache-dir --no-deps --target /opt/sidecar -r /tmp/requirements-swagger-ui.txt

# The build's distribution, so the librdkafka here is the one the binary was compiled against.
FROM ubuntu:24.04 AS runtime
# curl is the healthcheck probe that docker compose runs inside the container.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends librdkafka1 libjansson4 libcurl4t64 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin bookshelf
WORKDIR /app
COPY --from=build /out/bookshelf /usr/local/bin/bookshelf
COPY contracts ./contracts
COPY --from=swagger-ui /opt/sidecar/drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js \
    /opt/sidecar/drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css \
    /usr/local/share/bookshelf/swagger-ui-dist/
USER 10001:10001
EXPOSE 8000 8080 8081 8082 8084
ENTRYPOINT ["bookshelf"]
CMD ["--help"]
