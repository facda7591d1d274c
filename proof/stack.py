"""A `bookshelf up` stack of its own for one proof run: started on free loopback ports, stopped by its pid.

`up` writes a state file (docs/architecture.md) once every child answers ready: the gateway's URL, the broker's
address, each service's URL and each child's pid. The stack is stopped with SIGTERM to `up` (which stops
its children in reverse order), SIGKILL after a bound; `up` also gets SIGTERM from the kernel if this
process dies without cleaning up (PR_SET_PDEATHSIG), so no run leaves a stack behind.
"""

import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Ports `bookshelf up` uses before --port-offset: the gateway and the four services.
BASE_PORTS = (8000, 8080, 8081, 8082, 8084)
SERVICES = ("new-book", "book-read", "list-books", "last-read")
CHILDREN = ("broker",) + SERVICES + ("gateway",)
READY_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset(rng):
    """An offset under which every port of the stack is free now (another stack may run beside ours)."""
    for _ in range(200):
        offset = rng.randrange(100, 5000) * 10
        if all(_port_free(port + offset) for port in BASE_PORTS):
            return offset
    raise RuntimeError("no free set of loopback ports found for a stack (tried 200 offsets)")


def raise_on_termination():
    """Turns SIGTERM/SIGINT into exceptions so every `finally` (stopping the stack) runs."""
    def handler(number, _frame):
        raise SystemExit(128 + number)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class StackFailed(RuntimeError):
    pass


class Stack:
    """`with Stack(binary) as stack:` runs the body against a ready stack and always stops it."""

    def __init__(self, binary, name, env=None, log_dir=".build/proof"):
        self.binary = binary
        self.name = name
        self.extra_env = env or {}
        os.makedirs(log_dir, exist_ok=True)
        self.log_path = os.path.join(log_dir, f"{name}-up.log")
        self.workdir = tempfile.mkdtemp(prefix=f"proof-{name}-")
        self.state_path = os.path.join(self.workdir, "stack.json")
        self.process = None
        self.state = None

    def __enter__(self):
        rng = random.Random(os.getpid() ^ int(time.time()))
        for attempt in range(3):
            offset = free_port_offset(rng)
            if self._start(offset):
                return self
            print(f"{self.name}: bookshelf up exited before ready (attempt {attempt + 1}, offset {offset}); "
                  f"last lines of {self.log_path}:\n{self.log_tail()}", file=sys.stderr)
        raise StackFailed(f"bookshelf up did not become ready in 3 attempts (log: {self.log_path})")

    def __exit__(self, *exc):
        self.stop()
        return False

    def _start(self, offset):
        env = dict(os.environ)
        env.update(self.extra_env)
        env["BOOKSHELF_LOG_LEVEL"] = env.get("BOOKSHELF_LOG_LEVEL", "warning")
        log = open(self.log_path, "ab")
        log.write(f"\n=== bookshelf up --port-offset {offset} ===\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [self.binary, "up", "--state-file", self.state_path, "--port-offset", str(offset)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if os.path.exists(self.state_path) and os.path.getsize(self.state_path) > 0:
                self.refresh()
                return True
            time.sleep(0.2)
        self.stop()
        raise StackFailed(f"no state file after {READY_TIMEOUT_S} s (log: {self.log_path})")

    def stop(self):
        """SIGTERM to `up` (it stops its children in reverse), SIGKILL to whatever is left after a bound."""
        process, self.process = self.process, None
        if process is None:
            return
        children = dict(self.state["pids"]) if self.state else {}
        # A child left stopped by a fault test would never see SIGTERM.
        for pid in children.values():
            _signal_quietly(pid, signal.SIGCONT)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"{self.name}: bookshelf up still running {STOP_TIMEOUT_S} s after SIGTERM; killing it", file=sys.stderr)
                process.kill()
                process.wait(10)
        for name, pid in children.items():
            if _alive(pid):
                print(f"{self.name}: {name} (pid {pid}) outlived bookshelf up; killing it", file=sys.stderr)
                _signal_quietly(pid, signal.SIGKILL)

    def refresh(self):
        with open(self.state_path) as handle:
            self.state = json.load(handle)
        return self.state

    @property
    def gateway(self):
        return self.state["gateway"]

    @property
    def broker(self):
        return self.state["broker"]

    @property
    def service_urls(self):
        return self.state["services"]

    def pid(self, child):
        return int(self.refresh()["pids"][child])

    def signal(self, child, number):
        os.kill(self.pid(child), number)

    def wait_for_restart(self, child, old_pid, timeout=90):
        """The new pid once `up` has restarted `child` and found it ready (it rewrites the state file)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pid = self.pid(child)
            except (OSError, ValueError, KeyError):
                pid = old_pid
            if pid != old_pid:
                return pid
            if self.process is None or self.process.poll() is not None:
                raise StackFailed(f"bookshelf up exited while {child} was restarting (log: {self.log_path})")
            time.sleep(0.2)
        raise StackFailed(f"{child} was not restarted within {timeout} s (still pid {old_pid})")

    def rss_kib(self, child):
        with open(f"/proc/{self.pid(child)}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise StackFailed(f"/proc/{self.pid(child)}/status has no VmRSS line")

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return "(no log)"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_quietly(pid, number):
    try:
        os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def binary_from_args(argv):
    return os.environ.get("BIN", argv[1] if len(argv) > 1 else ".build/debug/bookshelf")
