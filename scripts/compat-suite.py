#!/usr/bin/env python3
"""Runs the shared compatibility suite (contracts-compat-suite/cases/*.json) against
`bookshelf contracts compat` and, for comparison, against any other checker's command line.

Usage: compat-suite.py SUITE --bookshelf BIN [--checker 'CMD {old} {new} {mode}']

For bookshelf every case must give the expected verdict and exactly the expected rule ids, and
every finding must come with a witness (keyword-not-analysed and reference-unresolved may not).
A --checker only reports how often it agrees (its exit status: 0 compatible, anything else
incompatible); it never fails the run.
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile


# A reference to nothing cannot be compiled, and a keyword the rules do not analyse is flagged
# without knowing how to break it: the witness search may come back empty for these.
WITNESS_OPTIONAL = {"reference-unresolved", "keyword-not-analysed"}


def load(suite):
    for path in sorted(glob.glob(os.path.join(suite, "cases", "*.json"))):
        with open(path) as handle:
            for index, case in enumerate(json.load(handle)):
                yield f"{os.path.basename(path)}[{index}] {case['description']}", case


def write(directory, name, schema):
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump(schema, handle)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("suite")
    parser.add_argument("--bookshelf", required=True)
    parser.add_argument("--checker", help="another checker: a command with {old}, {new} and {mode}")
    args = parser.parse_args()

    failures, total, witnessed, findings, agreed = [], 0, 0, 0, 0
    with tempfile.TemporaryDirectory() as directory:
        for name, case in load(args.suite):
            total += 1
            old = write(directory, "old.json", case["old"])
            new = write(directory, "new.json", case["new"])
            run = subprocess.run([args.bookshelf, "contracts", "compat", "--mode", case["mode"], "--output", "json", old, new],
                                 capture_output=True, text=True)
            if run.returncode not in (0, 1):
                failures.append(f"{name}: exit {run.returncode}: {run.stderr.strip()}")
                continue
            report = json.loads(run.stdout)
            rules = sorted({finding["rule"] for finding in report["findings"]})
            if report["compatible"] != case["compatible"] or (run.returncode == 0) != case["compatible"]:
                failures.append(f"{name}: expected compatible={case['compatible']}, got {report['compatible']} {rules}")
            elif rules != sorted(set(case["rules"])):
                failures.append(f"{name}: expected rules {sorted(set(case['rules']))}, got {rules}")
            for finding in report["findings"]:
                findings += 1
                if finding["witness"] is not None:
                    witnessed += 1
                elif finding["rule"] not in WITNESS_OPTIONAL:
                    failures.append(f"{name}: {finding['rule']} at {finding['location']} has no witness")
            if args.checker:
                command = args.checker.format(old=shlex.quote(old), new=shlex.quote(new), mode=case["mode"])
                other = subprocess.run(command, shell=True, capture_output=True, text=True)
                agreed += (other.returncode == 0) == case["compatible"]

    for failure in failures:
        print("FAIL " + failure)
    failed = len({failure.split(": ")[0] for failure in failures})
    print(f"compat suite: {total - failed}/{total} cases as expected, {witnessed}/{findings} findings with a witness")
    if args.checker:
        print(f"compat suite: {args.checker.split()[0]} agrees on {agreed}/{total} cases")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
