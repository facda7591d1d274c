"""make test-soak: WRITERS writers and READERS readers against a stack of our own for SOAK_SECONDS (default
60; `make test` runs it for 10), bounded also by MAX_BOOKS_PER_WRITER. Then the invariant (every 201 listed
exactly once, every finish reflected) and each process's resident memory before and after.

Memory bound: a view keeps every book, so some growth is the design; what must not happen is growth
unrelated to the data. Each process may grow by at most RSS_FIXED_MIB plus RSS_PER_BOOK_KIB per book added.
"""

import os
import sys
import threading
import time
import uuid

from shelf import Gateway, Ledger, add_book, check_invariant, finish_book, wait_healthy
from stack import CHILDREN, Stack, binary_from_args, raise_on_termination

WRITERS = int(os.environ.get("SOAK_WRITERS", "4"))
READERS = int(os.environ.get("SOAK_READERS", "4"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
MAX_BOOKS_PER_WRITER = 20_000
RSS_FIXED_MIB = 32
RSS_PER_BOOK_KIB = 4
WARM_UP_BOOKS = 50
LATENCIES_OUT = os.environ.get("SOAK_LATENCIES", ".build/proof/soak-latencies.txt")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main():
    raise_on_termination()
    binary = binary_from_args(sys.argv)
    with Stack(binary, "soak") as stack:
        ledger = Ledger()
        warm = Gateway(stack.gateway)
        # Memory is measured after a warm-up: first requests allocate pools and caches once.
        for index in range(WARM_UP_BOOKS):
            add_book(warm, ledger, f"proof warm-up {index} {uuid.uuid4()}")
        warm.close()
        rss_before = {child: stack.rss_kib(child) for child in CHILDREN}
        books_before = len(ledger.books)

        stop = threading.Event()
        errors = []
        write_latencies, read_latencies = [], []
        counts = {"reads": 0}

        def writer(number):
            client = Gateway(stack.gateway)
            try:
                for index in range(MAX_BOOKS_PER_WRITER):
                    if stop.is_set():
                        break
                    book, reply = add_book(client, ledger, f"proof soak w{number} #{index} {uuid.uuid4()}")
                    write_latencies.append(reply.seconds)
                    if index % 3 == 0:
                        started = time.monotonic()
                        finish_book(client, ledger, book["id"])
                        write_latencies.append(time.monotonic() - started)
            except BaseException as error:
                errors.append(f"writer {number}: {error}")
                stop.set()
            finally:
                client.close()

        def reader(number):
            client = Gateway(stack.gateway)
            paths = ("/bookshelf/books?limit=50", "/bookshelf/books/last/read")
            try:
                for index in range(10_000_000):
                    if stop.is_set():
                        break
                    reply = client.request("GET", paths[index % 2])
                    if reply.status != 200:
                        raise AssertionError(f"GET answered {reply}")
                    read_latencies.append(reply.seconds)
                    counts["reads"] += 1
            except BaseException as error:
                errors.append(f"reader {number}: {error}")
                stop.set()
            finally:
                client.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(60)
        elapsed = time.monotonic() - started
        stuck = [thread for thread in threads if thread.is_alive()]

        failures = list(errors)
        if stuck:
            failures.append(f"{len(stuck)} client threads still running 60 s after the stop")
        wait_healthy({"gateway": stack.gateway, **stack.service_urls})
        invariant = "holds"
        try:
            books, finishes = check_invariant(Gateway(stack.gateway), ledger, "soak")
        except AssertionError as error:
            failures.append(str(error))
            invariant = "BROKEN"
            books, finishes = len(ledger.books), len(ledger.finishes)
        rss_after = {child: stack.rss_kib(child) for child in CHILDREN}
        added = len(ledger.books) - books_before
        bound_kib = RSS_FIXED_MIB * 1024 + RSS_PER_BOOK_KIB * added

    print(f"soak: {WRITERS} writers, {READERS} readers, {elapsed:.1f} s: {added} books added, {len(ledger.finishes)} finished, "
          f"{counts['reads']} reads ({(added + len(ledger.finishes)) / elapsed:.1f} writes/s, {counts['reads'] / elapsed:.1f} reads/s)")
    print(f"  write latency ms p50 {1000 * percentile(write_latencies, 50):.1f} p99 {1000 * percentile(write_latencies, 99):.1f}; "
          f"read latency ms p50 {1000 * percentile(read_latencies, 50):.1f} p99 {1000 * percentile(read_latencies, 99):.1f}")
    print(f"  invariant over {books} books and {finishes} finishes: {invariant}")
    print(f"  RSS (MiB) before -> after, bound on growth {bound_kib / 1024:.1f} MiB ({RSS_FIXED_MIB} MiB + {RSS_PER_BOOK_KIB} KiB x {added} books):")
    for child in CHILDREN:
        growth = rss_after[child] - rss_before[child]
        over = growth > bound_kib
        print(f"    {child:11} {rss_before[child] / 1024:8.1f} -> {rss_after[child] / 1024:8.1f}  ({growth / 1024:+.1f}){'  OVER' if over else ''}")
        if over:
            failures.append(f"{child} grew by {growth / 1024:.1f} MiB, over the bound of {bound_kib / 1024:.1f} MiB")
    os.makedirs(os.path.dirname(LATENCIES_OUT), exist_ok=True)
    with open(LATENCIES_OUT, "w") as out:
        for name, values in (("write", write_latencies), ("read", read_latencies)):
            out.write(f"soak-{name} p50_ms={1000 * percentile(values, 50):.3f} p90_ms={1000 * percentile(values, 90):.3f} "
                      f"p99_ms={1000 * percentile(values, 99):.3f} n={len(values)}\n")
    for failure in failures:
        print(f"  - {failure}", file=sys.stderr)
    print(f"soak: {0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
