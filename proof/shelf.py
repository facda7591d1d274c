"""A client of the gateway, a ledger of what it was told, and the invariant every proof run ends with.

The invariant: every book that got a 201 is listed exactly once, with the data it was given, and the
last-read view agrees with every acknowledged finish. Reads carry X-Bookshelf-Min-Position (the positions
the writes answered), so a view that has not applied a write yet waits instead of answering stale.
"""

import http.client
import json
import threading
import time
import uuid
from urllib.parse import urlsplit

LAST_READ_SIZE = 5


class Reply:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body
        self.seconds = seconds

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"{self.status} {self.headers.get('content-type', '')} {self.body[:300]!r}"


class Gateway:
    """One keep-alive connection to the gateway (one per thread); reconnects after a broken exchange."""

    def __init__(self, base_url, timeout=30.0):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None, headers=None, timeout=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return Reply(response.status, response.getheaders(), data, time.monotonic() - started)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                # A keep-alive connection the server closed while idle: nothing was processed, send again once.
                self.close()
                if attempt == 2 or method == "POST" and not isinstance(error, BrokenPipeError):
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def book_body(title):
    """A request as the original API documents it: the year as a string."""
    return {"title": title, "author": "Proof Runner", "published": "1999"}


ORIGINAL_FIELDS = ("id", "title", "author", "published")


class Ledger:
    """What the gateway acknowledged: books that got 201, finishes that got 204, and every position."""

    def __init__(self):
        self.lock = threading.Lock()
        self.books = {}
        self.titles = {}
        self.positions = []
        self.added_at = {}
        # book id -> (sent at, acknowledged at) of its finish, monotonic clock; each book finished once.
        self.finishes = {}

    def record_book(self, book, position):
        with self.lock:
            self.books[book["id"]] = book
            self.titles.setdefault(book["title"], []).append(book["id"])
            self.positions.append(position)
            self.added_at[book["id"]] = position

    def record_finish(self, book_id, sent, acknowledged, position):
        with self.lock:
            self.finishes[book_id] = (sent, acknowledged)
            self.positions.append(position)

    def min_position(self):
        """The position vector of every acknowledged write: the highest offset per partition."""
        with self.lock:
            highest = {}
            # A write answers one partition:offset; a replayed Idempotency-Key after a restart answers the
            # vector new-book had applied, partition:offset pairs joined by commas.
            for position in self.positions:
                for pair in position.split(","):
                    partition, offset = (int(part) for part in pair.split(":"))
                    highest[partition] = max(highest.get(partition, -1), offset)
        return ",".join(f"{partition}:{offset}" for partition, offset in sorted(highest.items()))


class WriteRefused(AssertionError):
    pass


def add_book(gateway, ledger, title, retry_for_s=30.0, statuses=None):
    """Adds a book, retrying 503/504 with one Idempotency-Key until 201 (so a retry cannot add it twice)."""
    key = f"proof-{uuid.uuid4()}"
    deadline = time.monotonic() + retry_for_s
    while True:
        sent = book_body(title)
        reply = gateway.request("POST", "/bookshelf/books", body=sent, headers={"Idempotency-Key": key})
        if statuses is not None:
            statuses.append(reply.status)
        if reply.status == 201:
            book = reply.json()
            position = reply.header("X-Bookshelf-Position")
            # A replayed key answers the first write's position, or after a restart the vector new-book
            # had applied, which includes it: every 201 says where a reader can wait for the book.
            if not position:
                raise AssertionError(f"201 without X-Bookshelf-Position: {reply}")
            # The original API's fields and JSON types: four strings, the year as sent.
            if not all(isinstance(book.get(field), str) for field in ORIGINAL_FIELDS) or book["published"] != sent["published"]:
                raise AssertionError(f"201 does not answer the book as sent with the original's string fields: {reply}")
            ledger.record_book(book, position)
            return book, reply
        if reply.status in (502, 503, 504) and time.monotonic() < deadline:
            assert_problem(reply, reply.status, f"a refused write of {title!r}")
            time.sleep(_retry_after(reply))
            continue
        raise WriteRefused(f"POST /bookshelf/books {title!r}: {reply}")


def finish_book(gateway, ledger, book_id, retry_for_s=30.0, statuses=None):
    """Finishes a book; a 503 (nothing delivered) is retried, anything else but 204 fails the run.
    book-read learns of a book from the events topic, so the request names the position of the book's
    201 (read-your-writes), which book-read waits for."""
    deadline = time.monotonic() + retry_for_s
    with ledger.lock:
        added_at = ledger.added_at.get(book_id)
    headers = {"X-Bookshelf-Min-Position": added_at} if added_at else {}
    while True:
        sent = time.monotonic()
        reply = gateway.request("POST", f"/bookshelf/books/{book_id}/finished", headers=headers)
        if statuses is not None:
            statuses.append(reply.status)
        if reply.status == 204:
            ledger.record_finish(book_id, sent, time.monotonic(), reply.header("X-Bookshelf-Position"))
            return reply
        if reply.status == 503 and time.monotonic() < deadline:
            assert_problem(reply, 503, f"a refused finish of {book_id}")
            time.sleep(_retry_after(reply))
            continue
        raise WriteRefused(f"POST /bookshelf/books/{book_id}/finished: {reply}")


def _retry_after(reply):
    try:
        return min(2.0, max(0.1, float(reply.header("Retry-After") or 0.5)))
    except ValueError:
        return 0.5


def assert_problem(reply, status, what):
    """An RFC 9457 problem+json answer with this status."""
    if reply.status != status:
        raise AssertionError(f"{what}: expected {status}, got {reply}")
    content_type = (reply.header("Content-Type") or "").split(";")[0].strip()
    if content_type != "application/problem+json":
        raise AssertionError(f"{what}: {status} is not problem+json: {reply}")
    try:
        problem = json.loads(reply.body)
    except ValueError as error:
        raise AssertionError(f"{what}: problem body is not JSON ({error}): {reply}") from None
    if not isinstance(problem, dict) or problem.get("status") != status or not problem.get("title"):
        raise AssertionError(f"{what}: problem lacks a matching status or a title: {problem}")
    return problem


def list_books(gateway, min_position="", timeout_s=60.0):
    headers = {"X-Bookshelf-Min-Position": min_position} if min_position else {}
    return _read(gateway, "/bookshelf/books", headers, timeout_s)


def last_read(gateway, min_position="", timeout_s=60.0):
    headers = {"X-Bookshelf-Min-Position": min_position} if min_position else {}
    return _read(gateway, "/bookshelf/books/last/read", headers, timeout_s)


def _read(gateway, path, headers, timeout_s):
    """A read retried while the view is restarting or catching up (503/504), bounded in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        reply = gateway.request("GET", path, headers=headers)
        if reply.status == 200:
            return reply.json()
        if reply.status in (502, 503, 504) and time.monotonic() < deadline:
            time.sleep(0.5)
            continue
        raise AssertionError(f"GET {path}: {reply}")


def check_invariant(gateway, ledger, label):
    """Every 201 listed exactly once with its data; last-read consistent with every acknowledged finish."""
    min_position = ledger.min_position()
    books = list_books(gateway, min_position)
    listed = {}
    for book in books:
        listed.setdefault(book["id"], []).append(book)
    problems = []
    for book_id, book in ledger.books.items():
        copies = listed.get(book_id, [])
        if len(copies) != 1:
            problems.append(f"book {book_id} ({book['title']!r}) listed {len(copies)} times")
        elif copies[0] != book:
            problems.append(f"book {book_id} listed as {copies[0]}, but the 201 said {book}")
    for title, ids in ledger.titles.items():
        if len(ids) != 1:
            problems.append(f"title {title!r} got {len(ids)} different 201s (an idempotent retry added it twice)")
        listed_ids = [book["id"] for book in books if book["title"] == title]
        if len(listed_ids) != 1:
            problems.append(f"title {title!r} listed {len(listed_ids)} times")
    problems += _last_read_problems(last_read(gateway, min_position), ledger)
    if problems:
        raise AssertionError(f"{label}: invariant broken:\n  " + "\n  ".join(problems[:20]))
    return len(ledger.books), len(ledger.finishes)


def _last_read_problems(view, ledger):
    """The view holds the newest finishes by event time. A finish acknowledged before another was sent
    is older, so: no book twice, only finished books, as many as there are (up to five), no book left out
    while an older one is shown, and no book shown before a newer one."""
    finishes = ledger.finishes
    ids = [book["id"] for book in view]
    problems = []
    if len(set(ids)) != len(ids):
        problems.append(f"last-read lists a book twice: {ids}")
    expected = min(LAST_READ_SIZE, len(finishes))
    if len(ids) != expected:
        problems.append(f"last-read lists {len(ids)} books, {expected} were expected ({len(finishes)} finished)")
    unknown = [book_id for book_id in ids if book_id not in finishes]
    if unknown:
        problems.append(f"last-read lists books this run never finished: {unknown}")
        return problems
    for book in view:
        if book != ledger.books.get(book["id"]):
            problems.append(f"last-read shows {book}, but the 201 said {ledger.books.get(book['id'])}")
    shown = set(ids)
    for book_id in ids:
        for other, (sent, _) in finishes.items():
            if other not in shown and finishes[book_id][1] < sent:
                problems.append(f"last-read leaves out {other}, finished after {book_id}, which it shows")
    for newer, older in zip(ids, ids[1:]):
        if finishes[newer][1] < finishes[older][0]:
            problems.append(f"last-read shows {newer} before {older}, but {older} was finished later")
    return problems


def wait_healthy(urls, timeout_s=60.0):
    """Every URL's /health/ready answers 200 within the bound."""
    deadline = time.monotonic() + timeout_s
    for name, url in urls.items():
        client = Gateway(url, timeout=5)
        while True:
            try:
                reply = client.request("GET", "/health/ready")
                if reply.status == 200:
                    break
                last = reply
            except OSError as error:
                last = error
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} ({url}) not ready after the run: {last}")
            time.sleep(0.3)
        client.close()
