#!/usr/bin/env python3
"""Benchmark the four services on the embedded broker and print the figures beside their goals.

Run by `make bench-services` (release build). Needs wrk (Debian) and confluent-kafka (requirements-dev.txt).
Every figure comes from this one run:
  - start-up: process start to /health/ready 200, per service, with a running broker;
  - new-book POST throughput and latency p50/p99 (wrk, keep-alive connections);
  - list-books GET /bookshelf/books throughput with 10,000 books (wrk);
  - freshness lag: 201 from new-book to the book visible on list-books (GET with X-Bookshelf-Min-Position,
    which the view answers as soon as it has applied the position), p50/p99;
  - rebuild: list-books started against a topic holding 500,000 events, events/s until ready and CPU per
    event, beside a plain C consumer (scripts/bench-kafka.c) that only receives the same topic, and the
    embedded broker's own CPU while serving each: it shares the machine's cores with the consumer, and
    its Fetch handler walks a partition's stored batches from the first one (see docs/kafka.md),
    so the same events cost it more the smaller the batches they were written in. The topic is written
    twice, each time on a fresh broker: in batches of 500 events, where the walk costs the broker little
    and the figure is the view's (the goal's row), and as a fast producer with `linger.ms` 20 writes it
    (about 15 events a batch here), where the broker takes a large share of the two cores.
    Three rounds (`--rebuild-runs`) of a rebuild followed by the C consumer on each; every round is printed
    and the medians are the figures;
  - resident memory (VmRSS) of each service idle (just ready) and after the run.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import benchkit
from benchkit import Process, wait_ready, wrk

SERVICES = {"new-book": 18081, "book-read": 18082, "list-books": 18084, "last-read": 18080}
GOALS = {"ready_s": 1.0, "freshness_p99_ms": 50.0, "rebuild_eps": 200_000, "rss_idle_mib": 30.0}


def start_broker(command, partitions):
    return benchkit.start_broker(command + ["--partitions", str(partitions), "--log-level", "warning"], tmp, f"broker-{partitions}")


def start_service(binary, name, port, broker):
    process = Process([binary, name, "--port", str(port), "--broker", broker, "--log-level", "warning"], name, tmp)
    return wait_ready(process, port)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def book_body(index):
    return json.dumps({"title": f"Book {index}", "author": "Bench Author", "published": str(1900 + index % 120)})


def seed(port, count, threads=16):
    def worker(indices):
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for index in indices:
            connection.request("POST", "/bookshelf/books", book_body(index), {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"seeding failed with {response.status}")

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [range(start, count, threads) for start in range(threads)]))


def wait_for_count(port, count):
    deadline = time.monotonic() + 30
    while (have := list_count(port)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return have


def list_count(port):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/bookshelf/books")
    return len(json.loads(connection.getresponse().read()))


def freshness(new_book, list_books, samples):
    post = http.client.HTTPConnection("127.0.0.1", new_book)
    get = http.client.HTTPConnection("127.0.0.1", list_books)
    lags = []
    for index in range(samples):
        post.request("POST", "/bookshelf/books", book_body(index), {"Content-Type": "application/json"})
        response = post.getresponse()
        book = json.loads(response.read())
        acknowledged = time.perf_counter()
        get.request("GET", f"/bookshelf/books/{book['id']}", headers={"X-Bookshelf-Min-Position": response.getheader("X-Bookshelf-Position")})
        seen = get.getresponse()
        seen.read()
        if seen.status != 200:
            sys.exit(f"freshness probe got {seen.status}")
        lags.append((time.perf_counter() - acknowledged) * 1000)
    return lags


# How the rebuild topic is written: (name, producer settings). A batch closes at `batch.num.messages` or
# after `linger.ms`, whichever comes first; 5 s is far longer than 500 events take to gather.
LAYOUTS = [
    ("in batches of 500", {"linger.ms": 5000, "batch.num.messages": 500, "batch.size": 16_000_000}),
    ("linger.ms 20", {"linger.ms": 20, "batch.num.messages": 10000}),
]


def produce_events(broker, count, settings):
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker, "queue.buffering.max.messages": 1_000_000,
                         "queue.buffering.max.kbytes": 2_000_000, **settings})
    schema = "https://bookshelf.example/contracts/events/bookshelf.book.added/v3.schema.json"
    for index in range(count):
        book_id = str(uuid.uuid4())
        event = {
            "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/bookshelf/new-book", "type": "bookshelf.book.added",
            "time": "2026-11-26T12:00:00Z", "datacontenttype": "application/json", "dataschema": schema, "subject": book_id,
            "safe": False, "idempotent": True,
            "data": {"id": book_id, "title": f"Book {index}", "author": "Bench Author", "published": str(1900 + index % 120)},
        }
        while True:
            try:
                producer.produce("bookshelf.events", key=book_id, value=json.dumps(event, separators=(",", ":")),
                                 headers={"content-type": "application/cloudevents+json"})
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(120) != 0:
        sys.exit("could not produce the rebuild events")


def plain_c_replay(broker, count):
    """Events/s of scripts/bench-kafka.c reading the same topic from the beginning and doing nothing with the
    events: what the embedded broker can serve on this topic, so the rebuild figure can be read against it."""
    binary = f"{tmp}/bench-kafka-c"
    if not os.path.exists(binary):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "rdkafka"], capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["gcc", "-O2", "-Wall", "-o", binary, "scripts/bench-kafka.c", *flags], check=True)
    output = subprocess.run([binary, "replay", broker, "bookshelf.events", str(count)], capture_output=True, text=True, check=True).stdout
    return float(output.split()[3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/bookshelf")
    parser.add_argument("--broker-command", help="what starts the embedded broker (default: BINARY broker); it must print 'broker listening on HOST:PORT'")
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--rebuild-events", type=int, default=500_000)
    parser.add_argument("--rebuild-runs", type=int, default=3, help="rounds of rebuild and plain C replay; the medians count")
    parser.add_argument("--seconds", type=int, default=10)
    options = parser.parse_args()
    broker_command = options.broker_command.split() if options.broker_command else [options.binary, "broker"]
    processes = []
    try:
        broker, address = start_broker(broker_command, 12)
        processes.append(broker)
        services = {}
        for name, port in SERVICES.items():
            services[name] = start_service(options.binary, name, port, address)
            processes.append(services[name])
        idle = {name: process.rss_mib() for name, process in services.items()}
        idle_detail = {name: process.memory_mib() for name, process in services.items()}
        ready = {name: process.ready_s for name, process in services.items()}

        seed(SERVICES["new-book"], options.books)
        listed = wait_for_count(SERVICES["list-books"], options.books)
        get = wrk(f"http://127.0.0.1:{SERVICES['list-books']}/bookshelf/books", options.seconds, 8)
        post_script = f"{tmp}/post.lua"
        with open(post_script, "w") as script:
            script.write(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{book_body(0)}]]\n')
        post = wrk(f"http://127.0.0.1:{SERVICES['new-book']}/bookshelf/books", options.seconds, 32, post_script)
        lags = freshness(SERVICES["new-book"], SERVICES["list-books"], 500)
        after = {name: process.rss_mib() for name, process in services.items()}
        after_detail = {name: process.memory_mib() for name, process in services.items()}
        for process in services.values():
            process.stop()
        broker.stop()

        layouts = []
        for layout, settings in LAYOUTS:
            rebuild_broker, rebuild_address = start_broker(broker_command, 96)
            processes.append(rebuild_broker)
            produce_started = time.monotonic()
            produce_events(rebuild_address, options.rebuild_events, settings)
            produce_s = time.monotonic() - produce_started
            # The machine is shared: one rebuild can take half again as long as the next. Each of several
            # rounds rebuilds list-books and then lets the plain C consumer read the same topic; the medians count.
            rebuilds, plain_c = [], []
            for _ in range(options.rebuild_runs):
                broker_cpu_before = rebuild_broker.cpu_s()
                rebuilt = start_service(options.binary, "list-books", SERVICES["list-books"], rebuild_address)
                processes.append(rebuilt)
                cpu_s = rebuilt.cpu_s()
                broker_cpu_s = rebuild_broker.cpu_s() - broker_cpu_before
                rebuilt_count = list_count(SERVICES["list-books"])
                rebuilds.append({"eps": rebuilt_count / rebuilt.ready_s, "ready_s": rebuilt.ready_s, "cpu_s": cpu_s,
                                 "broker_cpu_s": broker_cpu_s, "rss": rebuilt.rss_mib()})
                rebuilt.stop()
                broker_cpu_before = rebuild_broker.cpu_s()
                plain_c.append({"eps": plain_c_replay(rebuild_address, rebuilt_count),
                                "broker_cpu_s": rebuild_broker.cpu_s() - broker_cpu_before})
            rebuild_broker.stop()
            layouts.append({"name": layout, "count": rebuilt_count, "produced_eps": options.rebuild_events / produce_s,
                            "rebuilds": rebuilds, "plain_c": plain_c})
    finally:
        for process in reversed(processes):
            process.stop()

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    rows = [
        ("start-up to ready, worst service (s)", max(ready.values()), GOALS["ready_s"], "lower"),
        ("new-book POST throughput (req/s, 32 conns)", post["rps"], None, None),
        ("new-book POST latency p50 (ms)", post["50%"], None, None),
        ("new-book POST latency p99 (ms)", post["99%"], None, None),
        (f"list-books GET all {listed} books (req/s, 8 conns)", get["rps"], None, None),
        ("list-books GET latency p99 (ms)", get["99%"], None, None),
        ("freshness 201 -> visible p50 (ms)", percentile(lags, 50), None, None),
        ("freshness 201 -> visible p99 (ms)", percentile(lags, 99), GOALS["freshness_p99_ms"], "lower"),
    ]
    for index, layout in enumerate(layouts):
        rebuilds, plain_c, count, name = layout["rebuilds"], layout["plain_c"], layout["count"], layout["name"]
        runs = f"{name}, median of {len(rebuilds)}"
        rows += [
            (f"rebuild {count} events, {runs} (events/s)", median(rebuilds, "eps"),
             GOALS["rebuild_eps"] if index == 0 else None, "higher"),
            (f"rebuild CPU per event, all threads, {runs} (us)", median(rebuilds, "cpu_s") / count * 1e6, None, None),
            (f"embedded broker CPU serving the rebuild, {runs} (s)", median(rebuilds, "broker_cpu_s"), None, None),
            (f"same topic, plain C consumer only receiving, {runs} (events/s)", median(plain_c, "eps"), None, None),
            (f"embedded broker CPU serving the plain C consumer, {runs} (s)", median(plain_c, "broker_cpu_s"), None, None),
        ]
    rows += [
        ("worst RSS idle (MiB)", max(idle.values()), GOALS["rss_idle_mib"], "lower"),
        ("worst PSS idle (MiB, shared pages split)", max(d[1] for d in idle_detail.values()), GOALS["rss_idle_mib"], "lower"),
    ]
    print(f"\n{'figure':48} {'measured':>12} {'goal':>10} {'ratio':>8}")
    for label, value, goal, better in rows:
        ratio = "" if goal is None else f"{(goal / value if better == 'lower' else value / goal):.2f}x"
        print(f"{label:48} {value:12.2f} {'' if goal is None else f'{goal:10.2f}':>10} {ratio:>8}")
    print("  (ratio > 1.00x means the goal is met)")
    print(f"\n{'service':12} {'ready (s)':>10} {'RSS idle':>9} {'PSS idle':>9} {'anon idle':>10} {'RSS after':>10} {'PSS after':>10} {'anon after':>11}  (MiB)")
    for name in SERVICES:
        _, pss_idle, anon_idle = idle_detail[name]
        _, pss_after, anon_after = after_detail[name]
        print(f"{name:12} {ready[name]:10.3f} {idle[name]:9.1f} {pss_idle:9.1f} {anon_idle:10.1f} {after[name]:10.1f} {pss_after:10.1f} {anon_after:11.1f}")
    first = layouts[0]
    print(f"list-books after rebuilding {first['count']} events: {first['rebuilds'][0]['rss']:.1f} MiB RSS, ready in "
          f"{first['rebuilds'][0]['ready_s']:.2f} s (the first round, topic written {first['name']})")
    for layout in layouts:
        print(f"topic written {layout['name']}: produced at {layout['produced_eps']:,.0f} events/s by confluent-kafka")
        for index, (rebuild, plain) in enumerate(zip(layout["rebuilds"], layout["plain_c"]), 1):
            print(f"  rebuild round {index}: ready in {rebuild['ready_s']:.2f} s ({rebuild['eps']:,.0f} events/s), "
                  f"{rebuild['cpu_s']:.2f} s CPU, broker {rebuild['broker_cpu_s']:.2f} s CPU; "
                  f"plain C consumer {plain['eps']:,.0f} events/s, broker {plain['broker_cpu_s']:.2f} s CPU")
    if post.get("non2xx") or get.get("non2xx"):
        print(f"warning: non-2xx answers: POST {post.get('non2xx', 0)}, GET {get.get('non2xx', 0)}")


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="bench-services-")
    main()
