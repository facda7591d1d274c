"""make test-hostile: requests no honest client sends, each through the gateway of a stack of our own.

Every case must be answered with the 4xx it names, as RFC 9457 problem+json whose `status` matches (a
broken request line may instead close the connection; a 405 must carry `Allow`); the services must answer
ready afterwards; and nothing may be produced: the list of books and the event
topic's high watermarks are the same after the battery as before it.
"""

import concurrent.futures
import json
import sys
import threading
import time
from urllib.parse import urlsplit

from rawhttp import NoReply, exchange, request_bytes
from shelf import Gateway, list_books, wait_healthy
from stack import Stack, binary_from_args, raise_on_termination
from topic import high_watermarks

BOOKS = "/bookshelf/books"
FINISH = "/bookshelf/books/{}/finished"
BODY_LIMIT = 64 * 1024
SLOW_CLIENTS = 20
SLOW_SECONDS = 6.0


def nested(depth):
    return b'{"title":"deep","author":"a","published":1,"tags":' + b"[" * depth + b"]" * depth + b"}"


def book(**fields):
    document = {"title": "Hostile", "author": "Nobody", "published": 2000}
    document.update(fields)
    return json.dumps(document).encode()


def cases():
    """(name, method, target, body, extra headers, content type, expected status or statuses)."""
    valid = book()
    yield "malformed JSON", "POST", BOOKS, b'{"title": "x", "author": }', [], "application/json", 400
    yield "truncated JSON", "POST", BOOKS, valid[: len(valid) // 2], [], "application/json", 400
    yield "empty body", "POST", BOOKS, b"", [], "application/json", 400
    yield "no content type", "POST", BOOKS, valid, [], None, 415
    yield "not an object", "POST", BOOKS, b'"Hostile"', [], "application/json", 400
    yield "10,000 nested arrays", "POST", BOOKS, nested(10_000), [], "application/json", 400
    yield "10,000 nested objects", "POST", BOOKS, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, [], "application/json", 400
    yield "huge integer", "POST", BOOKS, valid.replace(b"2000", b"9" * 400), [], "application/json", 400
    yield "huge exponent", "POST", BOOKS, valid.replace(b"2000", b"1e999999"), [], "application/json", 400
    yield "fractional year", "POST", BOOKS, valid.replace(b"2000", b"2000.5"), [], "application/json", 400
    yield "five-digit year as text", "POST", BOOKS, valid.replace(b"2000", b'"20000"'), [], "application/json", 400
    yield "year as text with a line feed", "POST", BOOKS, valid.replace(b"2000", b'"2000\\n"'), [], "application/json", 400
    yield "invalid UTF-8 in a string", "POST", BOOKS, valid.replace(b"Hostile", b"Ho\xff\xfestile"), [], "application/json", 400
    yield "overlong UTF-8 slash", "POST", BOOKS, valid.replace(b"Hostile", b"Ho\xc0\xafstile"), [], "application/json", 400
    yield "lone surrogate escape", "POST", BOOKS, valid.replace(b"Hostile", b"Ho\\ud800stile"), [], "application/json", 400
    yield "raw NUL byte in a string", "POST", BOOKS, valid.replace(b"Hostile", b"Ho\x00stile"), [], "application/json", 400
    yield "NUL byte after the document", "POST", BOOKS, valid + b"\x00", [], "application/json", 400
    yield "duplicate keys", "POST", BOOKS, b'{"title":"One","title":"Two","author":"a","published":1}', [], "application/json", 400
    yield "a client-chosen id", "POST", BOOKS, book(id="00000000-0000-4000-8000-000000000000"), [], "application/json", 400
    yield "wrong media type", "POST", BOOKS, valid, [], "text/plain", 415
    yield "body over the limit", "POST", BOOKS, book(title="x" * (BODY_LIMIT + 1)), [], "application/json", 413
    yield "declared length over the limit", "POST", BOOKS, valid, [], "application/json", 413
    # 431 is the precise answer; 400 is right too, as long as it is a problem.
    yield "oversized header (100 KiB)", "GET", BOOKS, b"", [("X-Padding", "a" * 100 * 1024)], None, (400, 431)
    yield "10,000 headers", "GET", BOOKS, b"", [(f"X-H{i}", "v") for i in range(10_000)], None, (400, 431)
    yield "path traversal in an id", "POST", FINISH.format("../../../../etc/passwd"), b"", [], None, 404
    yield "encoded traversal in an id", "POST", FINISH.format("..%2F..%2F..%2Fetc%2Fpasswd"), b"", [], None, 400
    yield "encoded slash in an id", "POST", FINISH.format("8a5e3c1e%2F4b5d-4e6f-8a9b-0c1d2e3f4a5b"), b"", [], None, 400
    yield "double-encoded slash in an id", "POST", FINISH.format("a%252Fb"), b"", [], None, 400
    yield "NUL in an id", "POST", FINISH.format("%00"), b"", [], None, 400
    # Not decodable as a path at all: "no such route" is as right as "not an id".
    yield "invalid UTF-8 in an id", "POST", FINISH.format("%FF%FE"), b"", [], None, (400, 404)
    yield "upper-case id (not canonical)", "POST", FINISH.format("8A5E3C1E-4B5D-4E6F-8A9B-0C1D2E3F4A5B"), b"", [], None, 400
    yield "100,000 nested arrays", "POST", BOOKS, nested(100_000), [], "application/json", (400, 413)
    yield "1e400 as the year", "POST", BOOKS, valid.replace(b"2000", b"1e400"), [], "application/json", 400
    yield "2^63 as the year (64-bit overflow)", "POST", BOOKS, valid.replace(b"2000", b"9223372036854775808"), [], "application/json", 400
    yield "2^64 as the year (64-bit overflow)", "POST", BOOKS, valid.replace(b"2000", b"18446744073709551616"), [], "application/json", 400
    yield "lone low surrogate escape", "POST", BOOKS, valid.replace(b"Hostile", b"Ho\\udc00stile"), [], "application/json", 400
    yield "surrogates in the wrong order", "POST", BOOKS, valid.replace(b"Hostile", b"\\udc00\\ud800"), [], "application/json", 400
    yield "escaped NUL (\\u0000) in a title", "POST", BOOKS, book(title="Ho\u0000stile"), [], "application/json", 400
    yield "escaped ESC (\\u001b) in an author", "POST", BOOKS, book(author="\u001b[2JNobody"), [], "application/json", 400
    yield "line feed in a title", "POST", BOOKS, book(title="Hos\ntile"), [], "application/json", 400
    yield "DEL (\\u007f) in a tag", "POST", BOOKS, book(tags=["fic\u007ftion"]), [], "application/json", 400
    yield "Idempotency-Key with a space", "POST", BOOKS, valid, [("Idempotency-Key", "a b")], "application/json", 400
    yield "X-Bookshelf-Min-Position: 0 (no partition)", "GET", BOOKS, b"", [("X-Bookshelf-Min-Position", "0")], None, 400
    yield "X-Bookshelf-Min-Position past 64 bits", "GET", "/bookshelf/books/last/read", b"", [("X-Bookshelf-Min-Position", "0:99999999999999999999")], None, 400
    yield "limit=+5 (a sign)", "GET", BOOKS + "?limit=+5", b"", [], None, 400
    yield "limit=0", "GET", BOOKS + "?limit=0", b"", [], None, 400
    yield "limit past 64 bits", "GET", BOOKS + "?limit=99999999999999999999", b"", [], None, 400
    yield "TRACE on the book list", "TRACE", BOOKS, b"", [], None, 405
    yield "TRACE on the last-read list", "TRACE", "/bookshelf/books/last/read", b"", [], None, 405
    yield "QUERY on the book list", "QUERY", BOOKS, b"", [], None, 405
    yield "a WebDAV method (PROPFIND)", "PROPFIND", BOOKS, b"", [], None, 405
    # NIO's parser knows a fixed set of methods; another token is not HTTP it can read.
    yield "a method token no parser knows", "FROBNICATE", BOOKS, b"", [], None, 400
    yield "PUT on a book's finished", "PUT", FINISH.format("8a5e3c1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"), b"", [], None, 405
    finished_id = "8a5e3c1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
    yield "finish body naming another book", "POST", FINISH.format(finished_id), book(id="00000000-0000-4000-8000-000000000000"), [], "application/json", 409
    yield "finish body that is an array", "POST", FINISH.format(finished_id), b"[]", [], "application/json", 400
    yield "finish body that is not JSON", "POST", FINISH.format(finished_id), b'{"id": ', [], "application/json", 400
    yield "finish body as text", "POST", FINISH.format(finished_id), b"finished", [], "text/plain", 415
    yield "traversal out of the API docs", "GET", "/apidocs/rest/../../Package.swift", b"", [], None, 404
    yield "encoded traversal out of the API docs", "GET", "/apidocs/rest/%2e%2e/%2e%2e/Package.swift", b"", [], None, 404
    yield "encoded slash traversal out of the API docs", "GET", "/apidocs/rest/..%2F..%2FPackage.swift", b"", [], None, 404


def raw_cases(authority):
    """(name, the request's bytes exactly, expected status or statuses, whether a closed connection is an answer).
    Requests no client library sends: framing that could smuggle a second request, broken request lines,
    header floods."""
    host = b"Host: " + authority.encode() + b"\r\n"
    valid = book()
    post = b"POST " + BOOKS.encode() + b" HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
    smuggled = b"GET /bookshelf/books HTTP/1.1\r\n" + host + b"\r\n"
    chunked = b"%x\r\n" % len(valid) + valid + b"\r\n0\r\n\r\n"
    yield ("Content-Length and Transfer-Encoding (CL.TE smuggling)",
           post + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % len(chunked) + chunked + smuggled, 400, False)
    yield ("Transfer-Encoding then Content-Length (TE.CL smuggling)",
           post + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\nConnection: close\r\n\r\n" + chunked + smuggled, 400, False)
    yield ("two different Content-Lengths",
           post + b"Content-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (len(valid), len(valid) + 1) + valid + b"x", 400, False)
    yield ("a chunk size that is not hex",
           post + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n" + valid + b"\r\n0\r\n\r\n", 400, False)
    yield ("5,000 headers", b"GET /bookshelf/books HTTP/1.1\r\n" + host + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"Connection: close\r\n\r\n", (400, 431), False)
    yield ("a 200 KB header", b"GET /bookshelf/books HTTP/1.1\r\n" + host + b"X-Padding: " + b"a" * 200_000 + b"\r\nConnection: close\r\n\r\n", (400, 431), False)
    yield ("NUL byte in a header value", b"GET /bookshelf/books HTTP/1.1\r\n" + host + b"X-Bad: a\x00b\r\nConnection: close\r\n\r\n", 400, False)
    yield ("HTTP/0.9 request line (no version)", b"GET /bookshelf/books\r\n\r\n", 400, True)
    yield ("a space inside the target", b"GET /bookshelf/books HTTP/1.1 x\r\n" + host + b"Connection: close\r\n\r\n", 400, True)
    yield ("absolute-form target with an invalid body",
           b"POST http://" + authority.encode() + BOOKS.encode() + b" HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
           + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}", 400, False)


def run_raw_case(host, port, case):
    name, data, expected, closed_is_an_answer = case
    try:
        reply = exchange(host, port, data)
    except NoReply as error:
        return None if closed_is_an_answer else f"{name}: no HTTP answer ({error})"
    return check_problem(name, reply, expected)


def run_case(host, port, case):
    name, method, target, body, headers, content_type, expected = case
    length = 10 * BODY_LIMIT if name == "declared length over the limit" else None
    data = request_bytes(method, target, f"{host}:{port}", body=body, headers=headers, content_type=content_type, length=length)
    try:
        reply = exchange(host, port, data)
    except NoReply as error:
        return f"{name}: no HTTP answer ({error})"
    return check_problem(name, reply, expected)


def check_problem(name, reply, expected):
    failures = []
    if reply.status not in (expected if isinstance(expected, tuple) else (expected,)):
        failures.append(f"status {reply.status}, expected {expected}")
    if reply.header("content-type") is None or not reply.header("content-type").startswith("application/problem+json"):
        failures.append(f"content type {reply.header('content-type')!r}, expected application/problem+json")
    problem = reply.problem()
    if not isinstance(problem, dict) or problem.get("status") != reply.status or not problem.get("title"):
        failures.append(f"body is not a problem with status {reply.status} and a title")
    if b"swift-tools-version" in reply.body or b"root:" in reply.body:
        failures.append("the body leaks a file from outside the contracts")
    if reply.status == 405 and not reply.header("allow"):
        failures.append("a 405 without Allow")
    return f"{name}: " + "; ".join(failures) + f" -- {reply}" if failures else None


def slow_clients(host, port, gateway):
    """SLOW_CLIENTS connections each trickle a malformed POST a few bytes at a time for SLOW_SECONDS while
    an honest client keeps reading; the honest reads must all succeed, and every slow client, once its
    request is complete, must get its 400 problem."""
    body = b'{"title": "slow", "author": '
    data = request_bytes("POST", BOOKS, f"{host}:{port}", body=body)
    chunk = max(1, len(data) // int(SLOW_SECONDS / 0.25))
    failures = []
    honest = {"ok": 0, "failed": []}
    stop = threading.Event()

    def honest_reader():
        client = Gateway(gateway, timeout=10)
        while not stop.is_set() and honest["ok"] + len(honest["failed"]) < 500:
            try:
                reply = client.request("GET", "/bookshelf/books/last/read")
                if reply.status == 200:
                    honest["ok"] += 1
                else:
                    honest["failed"].append(repr(reply))
            except OSError as error:
                honest["failed"].append(repr(error))
            time.sleep(0.05)
        client.close()

    reader = threading.Thread(target=honest_reader)
    reader.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(SLOW_CLIENTS) as pool:
            futures = [pool.submit(exchange, host, port, data, 30.0, 0.25, chunk) for _ in range(SLOW_CLIENTS)]
            for future in futures:
                try:
                    reply = future.result(timeout=60)
                    if reply.status != 400 or not (reply.header("content-type") or "").startswith("application/problem+json"):
                        failures.append(f"a slow client got {reply}")
                except (NoReply, OSError, concurrent.futures.TimeoutError) as error:
                    failures.append(f"a slow client got no answer: {error!r}")
    finally:
        stop.set()
        reader.join(30)
    if honest["failed"]:
        failures.append(f"{len(honest['failed'])} honest reads failed beside the slow clients, e.g. {honest['failed'][0]}")
    if honest["ok"] == 0:
        failures.append("no honest read completed while the slow clients trickled")
    return failures, honest["ok"]


def main():
    raise_on_termination()
    binary = binary_from_args(sys.argv)
    with Stack(binary, "hostile") as stack:
        gateway = Gateway(stack.gateway)
        host, port = urlsplit(stack.gateway).hostname, urlsplit(stack.gateway).port
        books_before = list_books(gateway)
        marks_before = high_watermarks(stack.broker)

        results = []

        def record(name, failures):
            print(f"  {'FAIL' if failures else 'ok  '} {name}", flush=True)
            results.append((name, failures))

        for case in cases():
            failure = run_case(host, port, case)
            record(f"{case[0]} -> {case[6]}", [failure] if failure else [])
        for case in raw_cases(f"{host}:{port}"):
            failure = run_raw_case(host, port, case)
            record(f"{case[0]} -> {case[2]}{' or closed' if case[3] else ''}", [failure] if failure else [])
        slow_failures, honest_reads = slow_clients(host, port, stack.gateway)
        record(f"{SLOW_CLIENTS} slow clients for {SLOW_SECONDS:.0f} s -> 400 each; {honest_reads} honest reads answered meanwhile",
               slow_failures)
        try:
            wait_healthy({"gateway": stack.gateway, **stack.service_urls})
            record("every service ready afterwards", [])
        except AssertionError as error:
            record("every service ready afterwards", [str(error)])
        books_after = list_books(gateway)
        marks_after = high_watermarks(stack.broker)
        record(f"the book list unchanged ({len(books_before)} before, {len(books_after)} after)",
               [] if books_after == books_before else [f"books before: {books_before}, after: {books_after}"])
        record("nothing produced (events topic end offsets unchanged)",
               [] if marks_after == marks_before else [f"end offsets before {marks_before}, after {marks_after}"])
        gateway.close()

    failed = [(name, failures) for name, failures in results if failures]
    for name, failures in failed:
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
    print(f"hostile: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
