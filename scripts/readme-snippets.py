#!/usr/bin/env python3
"""contracts/README.md's snippets must work: the Python one is run on a valid and an invalid
example (exit status and output checked); the JavaScript one is syntax-checked with node, since
npm's registry (and so ajv) is out of reach here."""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

README = pathlib.Path("contracts/README.md")
VALID = pathlib.Path("contracts/events/bookshelf.book.added/examples/valid/v2-isbn-13-and-tags.json")
INVALID = pathlib.Path("contracts/events/bookshelf.book.added/examples/invalid/v2-isbn-10-trailing-newline.json")


def block(language):
    found = re.findall(rf"```{language}\n(.*?)```", README.read_text("utf-8"), re.S)
    if len(found) != 1:
        raise SystemExit(f"{README}: expected one ```{language} block, found {len(found)}")
    return found[0]


def main():
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        snippet = pathlib.Path(scratch, "validate_event.py")
        snippet.write_text(block("python"), "utf-8")
        run = subprocess.run([sys.executable, snippet, VALID], capture_output=True, text=True)
        if run.returncode != 0 or run.stdout:
            problems.append(f"python snippet on {VALID}: exit {run.returncode}, output {run.stdout + run.stderr!r}")
        instance = pathlib.Path(scratch, "invalid.json")
        instance.write_text(json.dumps(json.loads(INVALID.read_text("utf-8"))["instance"]), "utf-8")
        run = subprocess.run([sys.executable, snippet, instance], capture_output=True, text=True)
        if run.returncode != 1 or "/data/isbn: pattern:" not in run.stdout:
            problems.append(f"python snippet on {INVALID}: exit {run.returncode}, output {run.stdout + run.stderr!r}")

        node = shutil.which("node")
        if node is None:
            problems.append("node is not installed: cannot syntax-check the JavaScript snippet")
        else:
            script = pathlib.Path(scratch, "validate-event.mjs")
            script.write_text(block("js"), "utf-8")
            run = subprocess.run([node, "--check", script], capture_output=True, text=True)
            if run.returncode != 0:
                problems.append(f"javascript snippet does not parse: {run.stderr.strip()}")
    for problem in problems:
        print(problem)
    print(f"README snippets: python run on 2 examples, javascript syntax-checked; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
