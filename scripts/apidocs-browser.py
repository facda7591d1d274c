#!/usr/bin/env python3
"""The API docs in a real browser, with no network but the gateway.

Starts `bookshelf up` on free loopback ports (proof/stack.py), then:
- /apidocs/index.html must answer 200 and refer only to the gateway's own files (no scheme, no `//host`);
- headless Chromium loads it with every other host unreachable (a dead proxy for all but the gateway, and
  every other name unresolvable), runs it for a virtual-time budget and dumps the rendered DOM;
- the DOM must show "OAS 3.1" and one operation block per operation of the gateway's openapi.json (the list
  comes from the document the gateway serves, so it follows the contract);
- with --screenshot PATH, a screenshot of the rendered page is written there.
Exit 0 when all hold, 1 naming each failure. The stack and the browser are stopped by pid, also on failure.
"""
import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proof"))
from stack import Stack, raise_on_termination  # noqa: E402

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BROWSER_TIMEOUT_S = 120
VIRTUAL_TIME_MS = 20000


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def operations(document):
    """(METHOD, path) of every operation in an OpenAPI document."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                found.append((method.upper(), path))
    return sorted(found)


def outside_references(page):
    """The src/href values of the page that leave the gateway: a scheme, or a protocol-relative //host."""
    references = re.findall(r'\b(?:src|href)\s*=\s*["\']([^"\']*)["\']', page)
    references += re.findall(r'\burl\s*\(\s*["\']?([^"\')]*)', page)
    return [ref for ref in references if re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)", ref)]


def chromium(args, gateway):
    """Runs headless Chromium offline but for the gateway; returns its stdout."""
    host_port = gateway.split("://", 1)[1].rstrip("/")
    host = host_port.rsplit(":", 1)[0]
    profile = tempfile.mkdtemp(prefix="apidocs-chromium-")
    command = [
        shutil.which("chromium") or "chromium",
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
        f"--user-data-dir={profile}",
        # No network: everything but the gateway goes to a proxy that does not exist, and no other name resolves.
        "--proxy-server=http://127.0.0.1:9", f"--proxy-bypass-list={host_port}",
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
    ] + args
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=BROWSER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"chromium did not finish in {BROWSER_TIMEOUT_S} s")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if process.returncode != 0:
        raise RuntimeError(f"chromium exited {process.returncode}: {err.decode(errors='replace')[-2000:]}")
    return out.decode("utf-8", errors="replace")


def rendered_operations(dom):
    """(METHOD, path) of every operation block Swagger UI rendered."""
    found = []
    for block in re.finditer(r'<div class="opblock opblock-(\w+)[^"]*"[^>]*>(.*?)</button>', dom, re.S):
        path = re.search(r'data-path="([^"]*)"', block.group(2))
        if path:
            found.append((block.group(1).upper(), html.unescape(path.group(1)).replace("\u200b", "")))
    return sorted(found)


def check(stack, screenshot):
    failures = []
    page_url = stack.gateway.rstrip("/") + "/apidocs/index.html"
    status, _, body = fetch(page_url)
    page = body.decode("utf-8", errors="replace")
    if status != 200:
        failures.append(f"{page_url} answered {status}: {' '.join(re.sub(r'<[^>]+>', ' ', page).split())[:400]}")
    outside = outside_references(page)
    if outside:
        failures.append(f"the page refers to files outside the gateway: {outside}")
    status, _, document = fetch(stack.gateway.rstrip("/") + "/apidocs/openapi.json")
    if status != 200:
        return failures + [f"/apidocs/openapi.json answered {status}"]
    expected = operations(json.loads(document))
    if not expected:
        return failures + ["openapi.json has no operations"]

    dom = chromium(["--dump-dom", page_url], stack.gateway)
    rendered = rendered_operations(dom)
    missing = [op for op in expected if op not in rendered]
    if missing:
        failures.append(f"Swagger UI rendered {len(rendered)} operation blocks; missing {missing}")
    if not re.search(r">\s*OAS\s*(?:<!-- -->)?\s*3\.1\s*<", dom):
        failures.append('the rendered page does not show "OAS 3.1"')
    if "Unable to render this definition" in dom:
        failures.append("Swagger UI says: Unable to render this definition")
    if failures:
        dump = os.path.join(".build", "apidocs-dom.html")
        os.makedirs(".build", exist_ok=True)
        with open(dump, "w", encoding="utf-8") as handle:
            handle.write(dom)
        failures.append(f"(the rendered DOM is in {dump})")
        return failures
    print(f"apidocs: Chromium rendered all {len(expected)} operations of openapi.json and OAS 3.1, offline: "
          + ", ".join(f"{method} {path}" for method, path in expected))
    if screenshot:
        os.makedirs(os.path.dirname(screenshot) or ".", exist_ok=True)
        chromium([f"--screenshot={os.path.abspath(screenshot)}", "--window-size=1280,1000", "--hide-scrollbars", page_url], stack.gateway)
        print(f"apidocs: screenshot in {screenshot}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--screenshot")
    options = parser.parse_args()
    raise_on_termination()
    with Stack(options.binary, "apidocs") as stack:
        failures = check(stack, options.screenshot)
    for failure in failures:
        print(f"apidocs: FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
