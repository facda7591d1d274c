#!/usr/bin/env python3
"""The getting-started guide quotes the example app: every code block that follows a line
`<!-- from PATH -->` must appear, line for line, in PATH (relative to the repository). A block may
leave lines out where it shows `// …` on a line of its own; each part between must then appear in
the file, in order. Run from the repository root: python3 scripts/guide-snippets.py docs/getting-started.md"""
import pathlib
import re
import sys

SOURCE = re.compile(r"<!-- from (\S+) -->\n+```[a-z]*\n(.*?)```", re.S)
ELISION = re.compile(r"^[ \t]*(//|#) …[ \t]*$", re.M)


def main(guide):
    text = pathlib.Path(guide).read_text("utf-8")
    problems = []
    blocks = SOURCE.findall(text)
    for path, block in blocks:
        try:
            source = pathlib.Path(path).read_text("utf-8")
        except OSError as error:
            problems.append(f"{guide}: quotes {path}, which cannot be read ({error.strerror})")
            continue
        position = 0
        for part in ELISION.split(block)[::2]:
            part = part.strip("\n")
            if not part:
                continue
            found = source.find(part, position)
            if found < 0:
                first = part.splitlines()[0].strip()
                problems.append(f"{guide}: the block from {path} starting '{first[:60]}' is not in that file (or not in this order)")
                break
            position = found + len(part)
    if not blocks:
        problems.append(f"{guide}: no <!-- from PATH --> blocks found")
    for problem in problems:
        print(problem)
    print(f"guide snippets: {len(blocks)} blocks checked against their files; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/getting-started.md"))
