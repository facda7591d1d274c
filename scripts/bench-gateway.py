#!/usr/bin/env python3
"""GET /bookshelf/books four ways in one run: directly on list-books, through the gateway, through nginx as a
reverse proxy with keep-alive upstream connections, and through the peer a Swift team would build instead of our
gateway (`--hummingbird-proxy`: Benchmarks/HummingbirdProxy, Hummingbird 2 with one shared AsyncHTTPClient and its
keep-alive pool), each in front of the same list-books.

Run by `make bench-gateway` (release builds). Needs wrk and nginx (Debian: wrk, nginx-light). Prints requests/s
and latency p50/p99 per path, the CPU each proxy and list-books spend per request (user + system time from
/proc/PID/stat before and after the run, over the requests wrk counted), each proxy's share of direct
throughput, and the latency it adds at p50.

`--gateway LABEL=BINARY` (repeatable) runs several gateway builds side by side in front of the same list-books,
so a change can be compared with the build before it in one run; `--rounds N` repeats every path N times,
interleaved, and reports each round, because one figure on a shared machine is not yet a fact.
`--floors` also measures, in the same rounds, the floor of the gateway's design: `bookshelf-bench gateway-floor` (the
gateway's HTTP server answering a fixed body of list-books' size at once, and Hummingbird's defaults with one route)
under the same wrk load, and scripts/curl-floor.c (built with gcc: one thread driving libcurl's multi interface with
as many keep-alive GETs to list-books in flight as wrk keeps) on its own; server floor plus libcurl floor is the
least CPU per request a Hummingbird + libcurl-multi gateway can spend, to set beside nginx's.
Every process runs on this machine's loopback; wrk runs bounded in time; everything is stopped at the end.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

import benchkit
from benchkit import Process, wait_ready, wrk

PORTS = {"new-book": 18281, "list-books": 18284, "gateway": 18200, "nginx": 18290, "hummingbird": 18292, "floor": 18295}
HUMMINGBIRD = "hummingbird-ahc"  # the peer's row


def start_broker(binary, directory):
    return benchkit.start_broker([binary, "broker", "--log-level", "warning"], directory)


def seed(port, count):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for index in range(count):
        body = json.dumps({"title": f"Book {index}", "author": "Bench Author", "published": str(1900 + index % 120)})
        connection.request("POST", "/bookshelf/books", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            sys.exit(f"seeding got {response.status}")


def book_count(port):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/bookshelf/books")
    response = connection.getresponse()
    return len(json.loads(response.read())) if response.status == 200 else -1


def nginx_config(directory, upstream_port, listen_port):
    path = f"{directory}/nginx.conf"
    with open(path, "w") as config:
        config.write(f"""
worker_processes auto;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream booklist {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{listen_port};
        location / {{
            proxy_pass http://booklist;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
""")
    return path


FLOOR_LABELS = {"front": "floor: gateway server", "router": "floor: hb router"}  # the server floors' rows


def fetch(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path)
    return connection.getresponse().read()


def build_curl_floor(directory):
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "curl-floor.c")
    binary = f"{directory}/curl-floor"
    built = subprocess.run(["gcc", "-O2", "-o", binary, source, "-lcurl"], capture_output=True, text=True)
    if built.returncode != 0:
        sys.exit(f"--floors needs gcc and libcurl's headers (Debian: gcc libcurl4-openssl-dev): {built.stderr.strip()}")
    return binary


def run_curl_floor(binary, port, seconds, connections):
    url = f"http://127.0.0.1:{port}/bookshelf/books"
    output = subprocess.run([binary, url, str(connections), str(seconds)], capture_output=True, text=True, check=True).stdout.split()
    return {"rps": float(output[0]), "us": float(output[2])}


def cpu_ticks(pids):
    """User plus system CPU of the processes, in clock ticks; 0 for one that is gone."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def with_children(pid):
    """The process and its children (nginx's workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(child) for child in found]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/bookshelf")
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--gateway", action="append", default=[], metavar="LABEL=BINARY",
                        help="a gateway build to measure (repeatable); default: --binary labelled 'gateway'")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hummingbird-proxy", metavar="BINARY",
                        help="Benchmarks/HummingbirdProxy's release build, the Hummingbird + AsyncHTTPClient peer")
    parser.add_argument("--floors", action="store_true",
                        help="also measure the floor of the gateway's design (needs gcc and libcurl's headers)")
    parser.add_argument("--bench-binary", default=".build/release/bookshelf-bench",
                        help="bookshelf-bench, whose gateway-floor --floors runs")
    options = parser.parse_args()
    gateways = []
    for item in options.gateway or [f"gateway={options.binary}"]:
        label, separator, binary = item.partition("=")
        if not separator or not label or not os.access(binary, os.X_OK):
            sys.exit(f"--gateway {item!r}: expected LABEL=BINARY with an executable BINARY")
        gateways.append((label, binary))
    if options.hummingbird_proxy and not os.access(options.hummingbird_proxy, os.X_OK):
        sys.exit(f"--hummingbird-proxy {options.hummingbird_proxy!r} is not an executable (make bench-gateway builds it)")
    if options.floors and not os.access(options.bench_binary, os.X_OK):
        sys.exit(f"--floors runs {options.bench_binary!r}, which is not an executable: swift build --product bookshelf-bench")
    directory = tempfile.mkdtemp(prefix="bench-gateway-")
    processes = []
    try:
        broker, address = start_broker(options.binary, directory)
        processes.append(broker)
        for name in ("new-book", "list-books"):
            process = Process([options.binary, name, "--port", str(PORTS[name]), "--broker", address, "--log-level", "warning"], name, directory)
            processes.append(process)
            wait_ready(process, PORTS[name])
        seed(PORTS["new-book"], options.books)
        deadline = time.monotonic() + 30
        while book_count(PORTS["list-books"]) < options.books and time.monotonic() < deadline:
            time.sleep(0.05)
        if book_count(PORTS["list-books"]) != options.books:
            sys.exit("list-books did not show the seeded books")

        paths = {"direct (list-books)": (PORTS["list-books"], [])}
        for index, (label, binary) in enumerate(gateways):
            port = PORTS["gateway"] + index
            gateway = Process([
                binary, "gateway", "--port", str(port), "--log-level", "warning",
                "--upstream", f"booklist=http://127.0.0.1:{PORTS['list-books']}",
                "--upstream", f"newbook=http://127.0.0.1:{PORTS['new-book']}",
            ], f"gateway-{index}", directory)
            processes.append(gateway)
            wait_ready(gateway, port)
            paths[label] = (port, [gateway.popen.pid])
        nginx = Process(["nginx", "-e", f"{directory}/nginx-startup.log", "-p", directory, "-c",
                         nginx_config(directory, PORTS["list-books"], PORTS["nginx"])], "nginx", directory)
        processes.append(nginx)
        wait_ready(nginx, PORTS["nginx"], path="/bookshelf/books")

        paths["nginx"] = (PORTS["nginx"], with_children(nginx.popen.pid))
        if options.hummingbird_proxy:
            peer = Process([
                options.hummingbird_proxy, "--port", str(PORTS["hummingbird"]),
                "--upstream", f"booklist=http://127.0.0.1:{PORTS['list-books']}",
                "--upstream", f"newbook=http://127.0.0.1:{PORTS['new-book']}",
            ], HUMMINGBIRD, directory)
            processes.append(peer)
            wait_ready(peer, PORTS["hummingbird"], path="/bookshelf/books")
            paths[HUMMINGBIRD] = (PORTS["hummingbird"], [peer.popen.pid])
        floors = []
        if options.floors:
            curl_floor = build_curl_floor(directory)
            size = len(fetch(PORTS["list-books"], "/bookshelf/books"))
            for index, server in enumerate(("front", "router")):
                label = FLOOR_LABELS[server]
                floor = Process([options.bench_binary, "gateway-floor", "--server", server, "--port", str(PORTS["floor"] + index),
                                 "--bytes", str(size)], f"floor-{server}", directory)
                processes.append(floor)
                wait_ready(floor, PORTS["floor"] + index, path="/bookshelf/books")
                paths[label] = (PORTS["floor"] + index, [floor.popen.pid])
                floors.append(label)
        list_books = [process.popen.pid for process in processes if process.name == "list-books"]
        tick = os.sysconf("SC_CLK_TCK")
        rounds = []
        for _ in range(options.rounds):
            results = {}
            for label, (port, proxy) in paths.items():
                url = f"http://127.0.0.1:{port}/bookshelf/books"
                wrk(url, 2, options.connections)  # warm-up: connections, caches, JIT-free but allocator-warm
                before = cpu_ticks(proxy), cpu_ticks(list_books)
                figures = wrk(url, options.seconds, options.connections)
                requests = max(figures["rps"] * options.seconds, 1)
                # On a machine whose cores wrk, the proxy and list-books share, CPU per request decides throughput.
                figures["proxy_us"] = (cpu_ticks(proxy) - before[0]) * 1e6 / tick / requests
                figures["service_us"] = (cpu_ticks(list_books) - before[1]) * 1e6 / tick / requests
                results[label] = figures
            if options.floors:
                results["curl floor"] = run_curl_floor(curl_floor, PORTS["list-books"], options.seconds, options.connections)
            rounds.append(results)

        print(f"\nGET /bookshelf/books ({options.books} books), wrk -t2 -c{options.connections} -d{options.seconds}s, "
              f"{os.cpu_count()} cores shared by wrk, the proxies and list-books; events on the embedded broker")
        proxies = [label for label, _ in gateways] + ["nginx"] + ([HUMMINGBIRD] if options.hummingbird_proxy else [])
        for number, results in enumerate(rounds, 1):
            print(f"\nround {number} of {len(rounds)}\n")
            print(f"{'path':<22}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'sock err':>10}{'proxy CPU µs/req':>18}{'list-books CPU µs/req':>23}")
            for label, figures in results.items():
                if label == "curl floor":
                    continue
                proxy = f"{figures['proxy_us']:.0f}" if label != "direct (list-books)" else "-"
                print(f"{label:<22}{figures['rps']:>12.0f}{figures['50%']:>10.3f}{figures['99%']:>10.3f}{figures['non2xx']:>10}{figures['errors']:>10}"
                      f"{proxy:>18}{figures['service_us']:>23.0f}")
            direct = results["direct (list-books)"]
            print()
            for label in proxies:
                figures = results[label]
                print(f"{label:<16} keeps {figures['rps'] / direct['rps']:6.1%} of direct throughput at "
                      f"{figures['proxy_us']:4.0f} µs proxy CPU/request, "
                      f"adds {figures['50%'] - direct['50%']:+.3f} ms at p50, {figures['99%'] - direct['99%']:+.3f} ms at p99")
            share_nginx = results["nginx"]["rps"] / direct["rps"]
            for label, _ in gateways:
                share = results[label]["rps"] / direct["rps"]
                added = results[label]["50%"] - direct["50%"]
                print(f"goal for {label}: share >= nginx share ({share:.1%} vs {share_nginx:.1%}): "
                      f"{'met' if share >= share_nginx else 'NOT met'}; adds < 1 ms at p50: {'met' if added < 1 else 'NOT met'}")
            if options.floors:
                curl = results["curl floor"]
                server = results[FLOOR_LABELS["front"]]["proxy_us"]
                print(f"\nfloor: libcurl multi alone (C, one thread, {options.connections} keep-alive GETs to list-books): "
                      f"{curl['us']:.0f} µs CPU/request at {curl['rps']:.0f} requests/s")
                for label in floors:
                    print(f"{label}: {results[label]['proxy_us']:.0f} µs CPU/request at {results[label]['rps']:.0f} requests/s")
                print(f"floor of the gateway's design (its server + libcurl): {server + curl['us']:.0f} µs CPU/request; "
                      f"nginx as a whole proxy: {results['nginx']['proxy_us']:.0f}")
    finally:
        for process in reversed(processes):
            process.stop()


if __name__ == "__main__":
    main()
