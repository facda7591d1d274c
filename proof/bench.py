"""make bench: runs every benchmark target the Makefile has (bench-validate, bench-kafka, bench-services,
bench-gateway), keeps each one's printed output in bench/out/NAME.log, and writes bench/REPORT.md with every
figure it can read from those outputs, its anchor and the ratio, the machine, and bench/latency.png.

Honest by construction: a figure in the report is a number a benchmark printed in this run (a ratio may be
computed from two such numbers, and says so). A benchmark without a make target, one that failed, or one
whose output has no line this script recognises is listed as not run or not read, with the reason.

`--report-only` rewrites the report from the logs already in bench/out without running anything.
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time

BENCHMARKS = ["bench-validate", "bench-kafka", "bench-services", "bench-gateway"]
OUT = "bench/out"
REPORT = "bench/REPORT.md"
CHART = "bench/latency.png"
TIME_LIMIT_S = 3600
NUMBER = r"[-+]?[\d,]*\.?\d+"


class Figure:
    def __init__(self, benchmark, name, value, unit, anchor="", anchor_value=None, ratio=None, note=""):
        self.benchmark, self.name, self.value, self.unit = benchmark, name, value, unit
        self.anchor, self.anchor_value, self.ratio, self.note = anchor, anchor_value, ratio, note


def number(text):
    return float(text.replace(",", ""))


def has_target(name):
    with open("Makefile") as makefile:
        return any(re.match(rf"^{re.escape(name)}\s*:", line) for line in makefile)


def run(name):
    """Runs `make NAME`, output to bench/out/NAME.log; returns (status, seconds) or the reason it did not run."""
    log = os.path.join(OUT, f"{name}.log")
    if not has_target(name):
        if os.path.exists(log):
            os.remove(log)
        return {"ran": False, "reason": f"no `{name}` target in the Makefile of this branch"}
    print(f"bench: make {name} (output: {log})", flush=True)
    started = time.monotonic()
    with open(log, "w") as out:
        try:
            status = subprocess.run(["make", "--no-print-directory", name], stdout=out, stderr=subprocess.STDOUT,
                                    timeout=TIME_LIMIT_S).returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
    seconds = time.monotonic() - started
    with open(log, "a") as out:
        out.write(f"\n# proof/bench.py: make {name} exit status {status} after {seconds:.0f} s\n")
    return {"ran": True, "status": status, "seconds": seconds}


def read_status(name):
    """The outcome recorded at the end of a log, for --report-only."""
    log = os.path.join(OUT, f"{name}.log")
    if not os.path.exists(log):
        reason = f"no `{name}` target in the Makefile of this branch" if not has_target(name) else f"not run yet ({log} missing)"
        return {"ran": False, "reason": reason}
    text = open(log, errors="replace").read()
    match = re.search(r"# proof/bench\.py: make \S+ exit status (\S+) after (\d+) s", text)
    if not match:
        return {"ran": False, "reason": f"started but did not finish (stopped before it printed its end; partial output in {log})"}
    status = match.group(1)
    return {"ran": True, "status": int(status) if status.isdigit() else status, "seconds": float(match.group(2))}


# Each parser reads the lines its benchmark prints today; it returns figures and latency series
# ({series: {"p50": ms, "p99": ms}}) and never makes a number up.

def parse_validate(text):
    figures, latencies = [], {}
    # "<validator>  <per CPU-second>  <vs rs>x  <vs python>x  <per wall-second>  <vs rs>x"
    rows = re.findall(rf"^(.+?)\s+({NUMBER})\s+({NUMBER})x\s+({NUMBER})x(?:\s+{NUMBER}\s+{NUMBER}x)?\s*$", text, re.M)
    for name, per_second, vs_rs, _vs_python in rows:
        name = name.strip()
        figures.append(Figure("bench-validate", f"{name} validations/s", number(per_second), "1/s",
                              "jsonschema-rs", None, number(vs_rs), "ratio as printed"))
    # "<command>  <wall>s  <CPU>s  <lines per CPU-second>", then the ratio line.
    match = re.search(rf"ratio: bookshelf is ({NUMBER})x \(wall\) and ({NUMBER})x \(CPU\)", text)
    if match:
        lines = re.search(rf"^bookshelf contracts validate --jsonl\s+{NUMBER}s\s+{NUMBER}s\s+({NUMBER})", text, re.M)
        python = re.search(rf"^python json\.loads \+ jsonschema-rs\s+{NUMBER}s\s+{NUMBER}s\s+({NUMBER})", text, re.M)
        figures.append(Figure("bench-validate", "JSON Lines stream through the CLI (lines per CPU-second)",
                              number(lines.group(1)) if lines else None, "1/s",
                              "json.loads + jsonschema-rs", number(python.group(1)) if python else None,
                              number(match.group(2)), f"ratio as printed (CPU; {match.group(1)}x by wall time)"))
    return figures, latencies


def parse_kafka(text):
    figures = []
    # "produce (events)  <Swift events/s>  <C events/s>  <ratio>%  [>=<goal>%]": the Kafka layer beside a plain
    # C loop, with CloudEvents (events) and as bare records (transport).
    for label, layer, swift, c, percent, goal in re.findall(r"^(produce|replay) \((events|transport)\)\s+(\d+)\s+(\d+)\s+(\d+)%(?:\s+>=(\d+)%)?", text, re.M):
        figures.append(Figure("bench-kafka", f"Kafka layer {label}, {layer} (events/s)", number(swift), "events/s",
                              "raw librdkafka (C loop)", number(c), number(swift) / number(c),
                              f"printed as {percent}%" + (f"; goal >= {goal}%" if goal else "")))
    for mode, work in (("encode", "validate and encode"), ("decode", "parse, validate and decode")):
        found = re.search(rf"^{mode}: .*?(\d+)-byte event on one thread: (\d+) ns of CPU per event", text, re.M)
        if found:
            figures.append(Figure("bench-kafka", f"{work} of one {found.group(1)}-byte event (ns of CPU)",
                                  number(found.group(2)), "ns", note="one thread, no broker"))
    # "ceiling produce  65%  >=70%  = 2 cores / (...)": the most the events row could reach on this machine.
    for mode, percent, goal, formula in re.findall(r"^ceiling (produce|replay)\s+(\d+)%\s+>=(\d+)%\s+= (.+)$", text, re.M):
        figures.append(Figure("bench-kafka", f"Kafka layer {mode}, events: ceiling on this machine (% of the C loop)",
                              number(percent), "%", note=f"goal >= {goal}%; {formula}"))
    return figures, {}


def parse_services(text):
    figures, latencies = [], {}
    rows = re.findall(rf"^(.{{10,}}?\))\s+({NUMBER})(?:\s+({NUMBER})\s+({NUMBER})x)?\s*$", text, re.M)
    for label, value, goal, ratio in rows:
        unit = re.search(r"\(([^()]*)\)$", label)
        figures.append(Figure("bench-services", label.strip(), number(value), unit.group(1) if unit else "",
                              "goal" if goal else "", number(goal) if goal else None, number(ratio) if ratio else None,
                              "ratio > 1 means the goal is met" if ratio else ""))
        for series, pattern in (("new-book POST", r"new-book POST latency (p\d+)"),
                                ("freshness 201 -> listed", r"freshness 201 -> visible (p\d+)"),
                                ("list-books GET all", r"list-books GET latency (p\d+)")):
            match = re.match(pattern, label.strip())
            if match:
                latencies.setdefault(series, {})[match.group(1)] = number(value)
    for name, ready, idle, after in re.findall(rf"^(new-book|book-read|list-books|last-read)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s*$", text, re.M):
        figures.append(Figure("bench-services", f"{name} RSS idle -> after load (MiB)", number(after), "MiB",
                              "its idle RSS", number(idle), number(after) / number(idle), "after / idle, computed here"))
    match = re.search(rf"list-books after rebuilding (\d+) events: ({NUMBER}) MiB RSS, ready in ({NUMBER}) s", text)
    if match:
        figures.append(Figure("bench-services", f"list-books RSS after rebuilding {match.group(1)} events (MiB)",
                              number(match.group(2)), "MiB"))
    return figures, latencies


def parse_gateway(text):
    figures, latencies = [], {}
    rows = {}
    cpu = {}
    # The two CPU columns (the proxy's and list-books' µs per request, "-" where there is no proxy) are
    # optional, so a log from before they were added still reads.
    for label, rps, p50, p99, non2xx, errors, proxy_cpu, upstream_cpu in re.findall(
            rf"^(direct \(list-books\)|gateway|nginx|hummingbird-ahc)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+(\d+)\s+(\d+)"
            rf"(?:\s+({NUMBER}|-)\s+({NUMBER}))?\s*$", text, re.M):
        rows[label] = (number(rps), number(p50), number(p99))
        if proxy_cpu and proxy_cpu != "-":
            cpu[label] = number(proxy_cpu)
        latencies[f"GET /bookshelf/books: {label}"] = {"p50": number(p50), "p99": number(p99)}
        if int(non2xx) or int(errors):
            figures.append(Figure("bench-gateway", f"{label}: non-2xx / socket errors", int(non2xx) + int(errors), "count"))
    direct = rows.get("direct (list-books)")
    for label in ("gateway", "nginx", "hummingbird-ahc"):
        if label in rows:
            rps = rows[label][0]
            figures.append(Figure("bench-gateway", f"GET /bookshelf/books via {label} (req/s)", rps, "req/s",
                                  "direct to list-books", direct[0] if direct else None,
                                  rps / direct[0] if direct else None, "computed here from the printed req/s"))
    if "gateway" in rows and "nginx" in rows:
        figures.append(Figure("bench-gateway", "gateway vs nginx throughput", rows["gateway"][0], "req/s",
                              "nginx (keep-alive upstream)", rows["nginx"][0], rows["gateway"][0] / rows["nginx"][0],
                              "computed here from the printed req/s"))
        figures.append(Figure("bench-gateway", "gateway vs nginx p99 latency (ms)", rows["gateway"][2], "ms",
                              "nginx", rows["nginx"][2], rows["nginx"][2] / rows["gateway"][2],
                              "nginx p99 / gateway p99: > 1 means the gateway is faster"))
    # Hummingbird + AsyncHTTPClient (Benchmarks/HummingbirdProxy): the peer a Swift team would pick instead.
    if "gateway" in rows and "hummingbird-ahc" in rows:
        figures.append(Figure("bench-gateway", "gateway vs Hummingbird + AsyncHTTPClient throughput", rows["gateway"][0],
                              "req/s", "hummingbird-ahc", rows["hummingbird-ahc"][0],
                              rows["gateway"][0] / rows["hummingbird-ahc"][0], "computed here from the printed req/s"))
    for peer in ("nginx", "hummingbird-ahc"):
        if "gateway" in cpu and peer in cpu:
            name = "proxy CPU per request, gateway (µs)" if peer == "nginx" else f"proxy CPU per request, gateway vs {peer} (µs)"
            figures.append(Figure("bench-gateway", name, cpu["gateway"], "µs",
                                  peer, cpu[peer], cpu[peer] / cpu["gateway"],
                                  f"{peer} µs / gateway µs: > 1 means the gateway costs less"))
    if direct:
        figures.append(Figure("bench-gateway", "GET /bookshelf/books direct (req/s)", direct[0], "req/s"))
    return figures, latencies


PARSERS = {
    "bench-validate": parse_validate,
    "bench-kafka": parse_kafka,
    "bench-services": parse_services,
    "bench-gateway": parse_gateway,
}


def machine():
    def first(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {
        "cores (nproc)": first(["nproc"]),
        "CPU": model,
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "kernel": f"{platform.system()} {platform.release()}",
        "Swift": first([os.environ.get("SWIFT", "swift"), "--version"]),
        "load average when the report was written": " ".join(open("/proc/loadavg").read().split()[:3]),
    }


def format_value(value):
    if value is None:
        return "—"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def tail(text, count=40):
    """The last lines of a benchmark's output, without make's own chatter and build progress."""
    kept = [line.rstrip() for line in text.splitlines()
            if line.strip() and not re.match(r"^(\[\d+/\d+\]|make\[|Building for|Compiling|Write |Linking|Build |swift build|Another instance of SwiftPM|warning: |\s+/)", line)]
    return kept[-count:]


def chart(latencies):
    if not latencies:
        if os.path.exists(CHART):
            os.remove(CHART)
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plot
    series = sorted(latencies)
    percentiles = sorted({p for values in latencies.values() for p in values}, key=lambda p: int(p[1:]))
    figure, axes = plot.subplots(figsize=(10, 0.6 * len(series) + 2))
    height = 0.8 / len(percentiles)
    for index, p in enumerate(percentiles):
        positions = [row + index * height for row in range(len(series))]
        values = [latencies[name].get(p, 0) for name in series]
        bars = axes.barh(positions, values, height=height, label=p)
        axes.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in values], padding=2, fontsize=8)
    axes.set_yticks([row + height * (len(percentiles) - 1) / 2 for row in range(len(series))], series)
    axes.set_xscale("log")
    axes.set_xlabel("latency (ms, log scale)")
    axes.set_title("Latency percentiles, one `make bench` run")
    axes.legend()
    figure.tight_layout()
    figure.savefig(CHART, dpi=110)
    plot.close(figure)
    return True


def write_report(outcomes, rewritten=False):
    figures, latencies, rows, quotes = [], {}, [], []
    for name in BENCHMARKS:
        outcome = outcomes[name]
        if not outcome["ran"]:
            rows.append(f"| `make {name}` | not run | {outcome['reason']} |")
            continue
        text = open(os.path.join(OUT, f"{name}.log"), errors="replace").read()
        found, series = PARSERS[name](text)
        quotes += [f"### `make {name}`", "", "```", *tail(text), "```", ""]
        state = "ran" if outcome["status"] == 0 else f"failed (exit status {outcome['status']})"
        note = f"{len(found)} figures read" if found else "no figure read: its output has no line this report recognises"
        rows.append(f"| `make {name}` | {state}, {outcome['seconds']:.0f} s | {note}; its printed table is quoted below |")
        if outcome["status"] == 0:
            figures += found
            latencies.update(series)
        elif found:
            rows[-1] = rows[-1][:-2] + "; its figures are left out because the run failed |"
    has_chart = chart(latencies)

    lines = [
        "# Benchmark report",
        "",
        (f"Rewritten on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} from the logs of the last `make bench` run. Every figure below is a"
         if rewritten else f"Written by `make bench` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}. Every figure below is a"),
        "number a benchmark printed in this run (the end of each one's output is quoted at the bottom; the whole",
        "of it is in bench/out/, not committed); a ratio marked \"computed here\" divides",
        "two such numbers. A benchmark that did not run, failed, or printed nothing this report can read is",
        "listed as such, never filled in.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine().items()]
    lines += ["", "The machine is shared (two cores, other builds and benchmarks running beside these), so absolute",
              "figures vary between runs; the ratios come from one benchmark measuring both sides in one run.", "",
              "## Benchmarks", "", "| benchmark | outcome | figures |", "|---|---|---|"] + rows
    lines += ["", "## Figures", "", "| benchmark | figure | measured | anchor | anchor value | ratio | how the ratio reads |",
              "|---|---|---:|---|---:|---:|---|"]
    for figure in figures:
        lines.append(f"| {figure.benchmark} | {figure.name} | {format_value(figure.value)} | {figure.anchor or '—'} | "
                     f"{format_value(figure.anchor_value)} | {'—' if figure.ratio is None else f'{figure.ratio:.2f}x'} | {figure.note or '—'} |")
    if not figures:
        lines.append("| — | no figure was read in this run | | | | | |")
    lines += ["", "## Latency percentiles", ""]
    if has_chart:
        lines += ["![latency percentiles](latency.png)", "", "| series | " + " | ".join(sorted({p for v in latencies.values() for p in v}, key=lambda p: int(p[1:]))) + " |"]
        percentiles = sorted({p for v in latencies.values() for p in v}, key=lambda p: int(p[1:]))
        lines.append("|---|" + "---:|" * len(percentiles))
        for name in sorted(latencies):
            lines.append(f"| {name} | " + " | ".join(format_value(latencies[name].get(p)) + " ms" if p in latencies[name] else "—" for p in percentiles) + " |")
    else:
        lines.append("No benchmark printed latency percentiles in this run, so there is no chart.")
    lines += ["", "## What each benchmark printed (the end of its output)", ""] + (quotes or ["Nothing ran.", ""])
    with open(REPORT, "w") as report:
        report.write("\n".join(lines))
    print(f"bench: wrote {REPORT}" + (f" and {CHART}" if has_chart else "") + f" ({len(figures)} figures)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run just these (the others keep their logs)")
    options = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    outcomes = {}
    for name in BENCHMARKS:
        if options.report_only or (options.only and name not in options.only):
            outcomes[name] = read_status(name)
        else:
            outcomes[name] = run(name)
    write_report(outcomes, rewritten=options.report_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
