"""What the benchmark scripts share: processes they start and stop, the embedded broker, readiness, wrk.

Imported by scripts/bench-services.py and scripts/bench-gateway.py (Python puts a script's own folder first
on the import path).
"""
import http.client
import os
import signal
import subprocess
import sys
import time

BROKER_ANNOUNCEMENT = "broker listening on "


class Process:
    """A child process with its stderr in DIRECTORY/NAME.log; stopped with SIGTERM, then SIGKILL after 15 s."""

    def __init__(self, args, name, directory, stdout=subprocess.DEVNULL):
        self.name = name
        self.log = f"{directory}/{name}.log"
        self.started = time.monotonic()
        self.ready_s = None
        self.popen = subprocess.Popen(args, stdout=stdout, stderr=open(self.log, "w"))

    def cpu_s(self):
        """User plus system CPU seconds of the process so far, all its threads."""
        with open(f"/proc/{self.popen.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self):
        with open(f"/proc/{self.popen.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def memory_mib(self):
        """(RSS, PSS, private anonymous) in MiB: RSS counts the shared binary and C libraries in full, PSS
        splits shared pages between the processes mapping them, anonymous is what this process alone adds."""
        figures = {}
        with open(f"/proc/{self.popen.pid}/smaps_rollup") as rollup:
            for line in rollup:
                parts = line.split()
                if parts[0] in ("Rss:", "Pss:", "Pss_Anon:"):
                    figures[parts[0]] = int(parts[1]) / 1024
        return figures["Rss:"], figures["Pss:"], figures.get("Pss_Anon:", float("nan"))

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_broker(command, directory, name="broker"):
    """Starts `bookshelf broker` (COMMAND is its argument list) and returns the process and its address."""
    broker = Process(command, name, directory, stdout=subprocess.PIPE)
    line = broker.popen.stdout.readline().decode().strip()
    if not line.startswith(BROKER_ANNOUNCEMENT):
        sys.exit(f"the broker did not start ({line!r}); see {broker.log}")
    return broker, line.removeprefix(BROKER_ANNOUNCEMENT)


def wait_ready(process, port, path="/health/ready", timeout_s=60):
    """Polls GET PATH on PORT until it answers 200, and records in `process.ready_s` how long after its start."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                process.ready_s = time.monotonic() - process.started
                return process
        except OSError:
            pass
        if process.popen.poll() is not None:
            sys.exit(f"{process.name} exited; see {process.log}")
        time.sleep(0.002)
    sys.exit(f"{process.name} was not ready within {timeout_s} s; see {process.log}")


def wrk(url, seconds, connections, script=None):
    """Runs wrk with two threads and returns requests/s ("rps"), p50 and p99 in ms, non-2xx answers and
    socket errors."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        args[1:1] = ["-s", script]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    figures = {"non2xx": 0, "errors": 0}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            figures[parts[0]] = to_ms(parts[1])
        elif "Non-2xx" in line:
            figures["non2xx"] = int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            figures["errors"] = sum(int(part.strip(",")) for part in parts if part.strip(",").isdigit())
    return figures


def to_ms(text):
    """A wrk duration ("850.00us", "1.20ms", "2.00s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)
