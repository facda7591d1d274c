"""make test-fuzz: schemathesis against the gateway of a stack of our own, from contracts/openapi.json.

Every check schemathesis has (`--checks all`: no 5xx; status code, content type, headers and body as
documented; schema-valid requests accepted and invalid ones refused; 405 with Allow for undeclared methods;
resources available right after they are created; auth as declared ...) over every phase: the document's
examples, its coverage cases (boundaries, each constraint broken once, undeclared methods), generated
cases valid and invalid, and the stateful phase, which follows the document's links (a POST's `id` and
X-Bookshelf-Position into GET by id and POST …/finished). A fixed seed (FUZZ_SEED, or `make test-fuzz
SEED=…`) and FUZZ_EXAMPLES cases per operation per phase. openapi.json names its schemas by paths relative
to itself; schemathesis resolves those from the file, offline (there is no network here, and the `$id`s'
host does not exist).
"""

import os
import re
import subprocess
import sys
import tempfile

from stack import Stack, binary_from_args, raise_on_termination

SEED = int(os.environ.get("FUZZ_SEED") or "20261126")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
MINIMUM_CASES = 1000
TIME_LIMIT_S = 900
CHECKS = "all"
PHASES = "examples,coverage,fuzzing,stateful"


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
            "--phases", PHASES, "--workers", "1", "--request-timeout", "30",
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
    if code is None:
        print(f"fuzz: schemathesis did not finish within {TIME_LIMIT_S} s")
        print("fuzz: 0 passed, 1 failed")
        return 1
    operations = _operations_in(junit)
    generated = sum(int(n) for n in re.findall(r"(\d+) generated", output))
    scenarios = re.search(r"Scenarios:\s+(\d+)", output)
    print(f"fuzz: seed {SEED}, {EXAMPLES} examples per operation, phases {PHASES}; {generated} cases generated, "
          f"{scenarios.group(1) if scenarios else 'no'} stateful scenarios; schemathesis exit status {code}")
    print(f"fuzz: checks ({CHECKS}): {', '.join(_check_names())}")
    passed = sum(1 for _, ok in operations if ok)
    enough = generated >= MINIMUM_CASES
    if not enough:
        print(f"fuzz: only {generated} cases generated, fewer than {MINIMUM_CASES}")
    print(f"fuzz: {passed} passed, {len(operations) - passed + (0 if enough else 1)} failed")
    return 0 if code == 0 and operations and passed == len(operations) and enough else 1


def _check_names():
    """What `--checks all` runs in this schemathesis."""
    from schemathesis.checks import CHECKS as registry
    import schemathesis.specs.openapi.checks  # noqa: F401 (registers the OpenAPI checks)
    return sorted(registry.get_all_names())


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
