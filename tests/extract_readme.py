#!/usr/bin/env python3
"""Write the C program of the README (the ```c block after the line
"<!-- compiled and run by make test -->") to a file, so the test suite
compiles and runs exactly what the README shows.

    python3 tests/extract_readme.py README.md build/readme_example.c
"""
import sys

MARK = "<!-- compiled and run by make test -->"


def main(argv):
    if len(argv) != 3:
        print("usage: extract_readme.py README.md OUT.c", file=sys.stderr)
        return 2
    lines = open(argv[1], encoding="utf-8").read().splitlines()
    try:
        start = lines.index(MARK)
        begin = next(i for i in range(start, len(lines)) if lines[i].strip() == "```c")
        end = next(i for i in range(begin + 1, len(lines)) if lines[i].strip() == "```")
    except (ValueError, StopIteration):
        print("extract_readme.py: no ```c block after %r in %s" % (MARK, argv[1]), file=sys.stderr)
        return 1
    code = lines[begin + 1:end]
    if not any("main(" in l for l in code):
        print("extract_readme.py: the README's example has no main", file=sys.stderr)
        return 1
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(code) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
