"""HTTP/1.1 over a bare socket, for requests no well-behaved client library would send."""

import json
import socket
import time


class RawReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def problem(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return f"{self.status} {self.headers.get('content-type', '')} {self.body[:200]!r}"


class NoReply(Exception):
    """The server closed the connection (or stayed silent) without an HTTP answer."""


def exchange(host, port, data, timeout=15.0, chunk_delay=None, chunk_size=None):
    """Sends `data` (optionally a few bytes at a time with a pause, as a slow client) and reads one reply."""
    with socket.create_connection((host, port), timeout=timeout) as connection:
        try:
            if chunk_delay is None:
                connection.sendall(data)
            else:
                for start in range(0, len(data), chunk_size):
                    connection.sendall(data[start:start + chunk_size])
                    time.sleep(chunk_delay)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (e.g. 413) and close before reading everything we send.
            pass
        return read_reply(connection, timeout)


def read_reply(connection, timeout):
    connection.settimeout(timeout)
    buffer = b""
    try:
        while b"\r\n\r\n" not in buffer:
            chunk = connection.recv(65536)
            if not chunk:
                raise NoReply(f"connection closed after {len(buffer)} bytes of a reply: {buffer[:200]!r}")
            buffer += chunk
    except (ConnectionResetError, socket.timeout) as error:
        raise NoReply(f"{type(error).__name__} after {len(buffer)} bytes of a reply") from None
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rest
    try:
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(body) < length:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                body += chunk
            body = body[:length]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = _dechunk(connection, body)
    except (ConnectionResetError, socket.timeout):
        pass
    return RawReply(status, headers, body)


def _dechunk(connection, buffer):
    body = b""
    while True:
        while b"\r\n" not in buffer:
            chunk = connection.recv(65536)
            if not chunk:
                return body
            buffer += chunk
        size_line, _, buffer = buffer.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(buffer) < size + 2:
            chunk = connection.recv(65536)
            if not chunk:
                return body + buffer[:size]
            buffer += chunk
        if size == 0:
            return body
        body += buffer[:size]
        buffer = buffer[size + 2:]


def request_bytes(method, target, host, body=b"", headers=None, content_type="application/json", length=None):
    """A request as bytes: `target` and header values are sent exactly as given (bytes or str)."""
    if isinstance(target, str):
        target = target.encode()
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode()]
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type.encode())
    if length is not None:
        lines.append(b"Content-Length: " + str(length).encode())
    elif body or method == "POST":
        lines.append(b"Content-Length: " + str(len(body)).encode())
    for name, value in (headers or []):
        lines.append((name.encode() if isinstance(name, str) else name) + b": "
                     + (value.encode() if isinstance(value, str) else value))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
