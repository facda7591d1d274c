"""make test-fuzz: schemathesis against the gateway of a stack of our own, from contracts/openapi.json.

A fixed seed and a bounded number of cases per operation (FUZZ_EXAMPLES, default 150), every phase but the
stateful one: the document's examples, its coverage cases (boundaries and each constraint broken once)
and generated cases, valid and invalid. Checks: no 5xx, and every response conforming to the document
(status code listed, content type, headers, body schema). openapi.json names its schemas by paths
relative to itself; schemathesis resolves those from the file, offline (there is no network here, and
the `$id`s' host does not exist).
"""

import os
import re
import subprocess
import sys
import tempfile

from stack import Stack, binary_from_args, raise_on_termination

SEED = 20261126
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
TIME_LIMIT_S = 900
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])


def main():
    raise_on_termination()
    binary = binary_from_args(sys.argv)
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    report_dir = tempfile.mkdtemp(prefix="proof-fuzz-")
    junit = os.path.join(report_dir, "junit.xml")
    with Stack(binary, "fuzz") as stack:
        command = [
            schemathesis, "run", os.path.abspath("contracts/openapi.json"), "--url", stack.gateway,
            "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--checks", CHECKS,
            "--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "30",
            "--generation-database", "none", "--no-color", "--suppress-health-check", "all",
            "--report", "junit", "--report-junit-path", junit,
        ]
        print("fuzz: " + " ".join(command), flush=True)
        try:
            # In a folder of its own: schemathesis keeps a cache where it runs.
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=report_dir,
                                    timeout=TIME_LIMIT_S, env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
            output, code = result.stdout, result.returncode
        except subprocess.TimeoutExpired as expired:
            output, code = (expired.stdout or b"").decode(errors="replace"), None
    print(output)
    cases = re.findall(r"(\d+) generated", output)
    if code is None:
        print(f"fuzz: schemathesis did not finish within {TIME_LIMIT_S} s")
        print("fuzz: 0 passed, 1 failed")
        return 1
    operations = _operations_in(junit)
    print(f"fuzz: seed {SEED}, {EXAMPLES} examples per operation, cases: {cases[-1] if cases else 'see above'}; "
          f"schemathesis exit status {code}")
    passed = sum(1 for _, ok in operations if ok)
    print(f"fuzz: {passed} passed, {len(operations) - passed} failed")
    return 0 if code == 0 and operations and passed == len(operations) else 1


def _operations_in(junit):
    """(operation, passed) per test case of the JUnit report."""
    import xml.etree.ElementTree as tree
    try:
        root = tree.parse(junit).getroot()
    except (OSError, tree.ParseError):
        return []
    return [(case.get("name"), case.find("failure") is None and case.find("error") is None)
            for case in root.iter("testcase")]


if __name__ == "__main__":
    sys.exit(main())
