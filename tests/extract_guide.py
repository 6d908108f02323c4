#!/usr/bin/env python3
"""Write the C blocks of docs/guide.md, in order, as one program, so the
test suite compiles and runs exactly what the guide shows.

    python3 tests/extract_guide.py docs/guide.md build/guide.c
"""
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: extract_guide.py GUIDE.md OUT.c", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, block, n = ["/* Generated from %s by tests/extract_guide.py. */" % argv[1]], None, 0
    for i, line in enumerate(lines, 1):
        if block is None and line.strip() == "```c":
            block = []
            out.append("#line %d \"%s\"" % (i + 1, argv[1]))
        elif block is not None and line.strip() == "```":
            out.extend(block)
            block, n = None, n + 1
        elif block is not None:
            block.append(line)
    if block is not None or n == 0:
        print("extract_guide.py: %s: %s" % (argv[1], "an unclosed ```c block" if block is not None else "no ```c block"),
              file=sys.stderr)
        return 1
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
