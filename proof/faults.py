"""make test-faults: faults injected into a `bookshelf up` stack of our own, each followed by the invariant
(every book that got a 201 listed exactly once, every acknowledged finish reflected in last-read).

  broker down and up   SIGUSR1 to `bookshelf broker` (every broker down): writes answer 503 problem+json
                       with Retry-After; SIGUSR2 (back up): the same writes, retried with their
                       Idempotency-Key, succeed once each.
  slow broker          the broker process stopped (SIGSTOP) for SLOW_PAUSE_S at a time while writes go on:
                       every request is held that long. The broker has no latency (RTT) control of its
                       own, so this is the closest honest stand-in; see the report.
  view killed          list-books and last-read killed (SIGKILL) while a writer is adding books; `up`
                       restarts them and they rebuild from the log.
  upstream silent      book-read and list-books stopped (SIGSTOP): the gateway answers 504 problem+json
                       within its upstream timeout (set to UPSTREAM_TIMEOUT_S for this stack); SIGCONT after.
  duplicate delivery   every record of the events topic produced a second time, byte for byte, with
                       confluent-kafka: the views answer exactly what they answered before.
"""

import signal
import sys
import threading
import time
import uuid

from shelf import (Gateway, Ledger, add_book, assert_problem, check_invariant, finish_book, last_read,
                   list_books, wait_healthy)
from stack import Stack, binary_from_args, raise_on_termination
from topic import high_watermarks, produce_again, read_all

UPSTREAM_TIMEOUT_S = 2.0
# The gateway answers 504 once its timeout has passed; the margin covers scheduling on a busy machine.
TIMEOUT_MARGIN_S = 3.0
SLOW_PAUSE_S = 1.5
WRITER_BOOKS = 40


def title(scenario):
    return f"proof {scenario} {uuid.uuid4()}"


def add_some(gateway, ledger, scenario, count, finish_every=3):
    for index in range(count):
        book, _ = add_book(gateway, ledger, title(scenario))
        if index % finish_every == 0:
            finish_book(gateway, ledger, book["id"])


def _collecting(errors, function):
    def run(*args):
        try:
            function(*args)
        except BaseException as error:
            errors.append(error)
    return run


def broker_down_and_up(stack, gateway, ledger):
    errors = []
    add_some(gateway, ledger, "before-outage", 4)
    stack.signal("broker", signal.SIGUSR1)
    try:
        refused = gateway.request("POST", "/bookshelf/books", body={"title": title("outage"), "author": "a", "published": 1},
                                  headers={"Idempotency-Key": f"proof-{uuid.uuid4()}"})
        # new-book answers 503 once its producer gives up on the broker; when the gateway's upstream
        # timeout is shorter, the client gets the gateway's 504 first. Either says "retry", with a key safely.
        assert_problem(refused, refused.status if refused.status in (503, 504) else 503, "a write while every broker is down")
        if refused.header("Retry-After") is None:
            raise AssertionError(f"a {refused.status} while the broker is down has no Retry-After: {refused}")
        refused_status = refused.status
        pending = [threading.Thread(target=_collecting(errors, add_book), args=(Gateway(stack.gateway), ledger, title("during-outage"), 60.0))
                   for _ in range(3)]
        for thread in pending:
            thread.start()
        time.sleep(2.0)
    finally:
        stack.signal("broker", signal.SIGUSR2)
    for thread in pending:
        thread.join(90)
    if errors:
        raise AssertionError(f"a write retried across the outage failed: {errors[0]}")
    add_some(gateway, ledger, "after-outage", 4)
    return f"{refused_status} + Retry-After while down; 3 writes retried with their keys landed once each"


def slow_broker(stack, gateway, ledger):
    stop = threading.Event()
    statuses = []

    def pauser():
        for _ in range(4):
            if stop.is_set():
                return
            stack.signal("broker", signal.SIGSTOP)
            time.sleep(SLOW_PAUSE_S)
            stack.signal("broker", signal.SIGCONT)
            time.sleep(0.5)

    thread = threading.Thread(target=pauser)
    thread.start()
    started = time.monotonic()
    try:
        count = 0
        while thread.is_alive() and count < 1000:
            book, _ = add_book(gateway, ledger, title("slow-broker"), 60.0, statuses)
            count += 1
            if count % 4 == 0:
                finish_book(gateway, ledger, book["id"], 60.0, statuses)
    finally:
        stop.set()
        thread.join(30)
        stack.signal("broker", signal.SIGCONT)
    refused = sum(1 for status in statuses if status != 201 and status != 204)
    return f"{count} books in {time.monotonic() - started:.1f} s across 4 pauses of {SLOW_PAUSE_S} s; {refused} answers were 5xx and retried"


def view_killed(stack, gateway, ledger):
    errors = []

    def writer():
        client = Gateway(stack.gateway)
        try:
            add_some(client, ledger, "mid-stream", WRITER_BOOKS, finish_every=5)
        except BaseException as error:
            errors.append(error)
        finally:
            client.close()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1.0)
    restarted = []
    for view in ("list-books", "last-read"):
        old = stack.pid(view)
        stack.signal(view, signal.SIGKILL)
        restarted.append((view, old, stack.wait_for_restart(view, old)))
    thread.join(120)
    if thread.is_alive():
        raise AssertionError("the writer did not finish within 120 s")
    if errors:
        raise errors[0]
    return "; ".join(f"{view} {old} -> {new}" for view, old, new in restarted) + f", {WRITER_BOOKS} books written meanwhile"


def upstream_silent(stack, gateway, ledger):
    notes = []
    # An id no book has: whatever book-read does with the request once resumed, it produces nothing.
    unknown = str(uuid.uuid4())
    for service, method, path in (("book-read", "POST", f"/bookshelf/books/{unknown}/finished"),
                                  ("list-books", "GET", "/bookshelf/books")):
        stack.signal(service, signal.SIGSTOP)
        try:
            client = Gateway(stack.gateway, timeout=UPSTREAM_TIMEOUT_S * 2 + 30)
            started = time.monotonic()
            reply = client.request(method, path)
            elapsed = time.monotonic() - started
            client.close()
        finally:
            stack.signal(service, signal.SIGCONT)
        assert_problem(reply, 504, f"{method} {path} while {service} is stopped")
        # A read is tried once more only when the connection failed, and a stopped process still
        # accepts connections, so one timeout bounds both.
        if elapsed > UPSTREAM_TIMEOUT_S + TIMEOUT_MARGIN_S:
            raise AssertionError(f"504 for {method} {path} took {elapsed:.1f} s; the upstream timeout is {UPSTREAM_TIMEOUT_S} s")
        notes.append(f"{service}: 504 after {elapsed:.1f} s")
    wait_healthy(stack.service_urls)
    stale = gateway.request("POST", f"/bookshelf/books/{unknown}/finished")
    assert_problem(stale, 404, "finishing the unknown book after the stall")
    add_some(gateway, ledger, "after-stall", 3)
    return ", ".join(notes) + f" (timeout {UPSTREAM_TIMEOUT_S} s)"


def duplicate_delivery(stack, gateway, ledger):
    add_some(gateway, ledger, "before-duplicates", 6, finish_every=2)
    min_position = ledger.min_position()
    books_before = list_books(gateway, min_position)
    last_before = last_read(gateway, min_position)
    records = read_all(stack.broker)
    produce_again(stack.broker, records)
    ends = high_watermarks(stack.broker)
    # The views have applied the duplicates once they have reached the topic's new end.
    after_duplicates = ",".join(f"{partition}:{end - 1}" for partition, end in sorted(ends.items()) if end > 0)
    books_after = list_books(gateway, after_duplicates)
    last_after = last_read(gateway, after_duplicates)
    if books_after != books_before:
        raise AssertionError(f"list-books changed after duplicate delivery: {len(books_before)} books before, {len(books_after)} after")
    if last_after != last_before:
        raise AssertionError(f"last-read changed after duplicate delivery: {last_before} before, {last_after} after")
    # A view rebuilt from a log full of duplicates must agree too.
    old = stack.pid("list-books")
    stack.signal("list-books", signal.SIGKILL)
    stack.wait_for_restart("list-books", old)
    rebuilt = list_books(gateway, after_duplicates)
    key = lambda book: book["id"]
    if sorted(rebuilt, key=key) != sorted(books_before, key=key):
        raise AssertionError(f"list-books rebuilt over duplicates lists {len(rebuilt)} books, {len(books_before)} before, or others")
    # The list is in the order the view applied the events; a rebuild interleaves the partitions anew.
    order = "same order" if rebuilt == books_before else "same books, partitions interleaved in another order"
    return f"{len(records)} records delivered twice; both views unchanged; list-books rebuilt over them: {order}"


SCENARIOS = [
    ("broker down and up", broker_down_and_up),
    ("slow broker", slow_broker),
    ("view killed mid-stream", view_killed),
    ("upstream stops answering", upstream_silent),
    ("duplicate delivery", duplicate_delivery),
]


def main():
    raise_on_termination()
    binary = binary_from_args(sys.argv)
    passed, failed = 0, 0
    env = {"BOOKSHELF_UPSTREAM_TIMEOUT": str(UPSTREAM_TIMEOUT_S)}
    with Stack(binary, "faults", env=env) as stack:
        gateway = Gateway(stack.gateway)
        ledger = Ledger()
        for name, scenario in SCENARIOS:
            started = time.monotonic()
            try:
                note = scenario(stack, gateway, ledger)
                books, finishes = check_invariant(gateway, ledger, name)
                passed += 1
                print(f"  ok   {name} ({time.monotonic() - started:.1f} s): {note}; invariant holds over {books} books, {finishes} finishes")
            except (AssertionError, RuntimeError, OSError) as error:
                failed += 1
                print(f"  FAIL {name}: {error}")
                gateway.close()
                # A failed scenario may leave a process stopped; later scenarios need it running.
                for child in ("broker", "book-read", "list-books"):
                    stack.signal(child, signal.SIGCONT)
                stack.signal("broker", signal.SIGUSR2)
        gateway.close()
    print(f"faults: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
