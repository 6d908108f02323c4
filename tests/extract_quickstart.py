#!/usr/bin/env python3
"""Write the QUICK START block of ligo.h's manual as a C program, so the
test suite compiles and runs exactly what the header shows.

    python3 tests/extract_quickstart.py ligo.h build/quickstart.c
"""
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: extract_quickstart.py ligo.h OUT.c", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith(" * QUICK START"))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(" * OPTIONS"))
    except StopIteration:
        print("extract_quickstart.py: no QUICK START ... OPTIONS block in %s" % argv[1], file=sys.stderr)
        return 1
    code = []
    for l in lines[start + 1:end]:
        body = l[2:] if l.startswith(" *") else l
        if body.startswith("      "):
            code.append("    " + body[7:].rstrip())
    if not code:
        print("extract_quickstart.py: the QUICK START block has no code", file=sys.stderr)
        return 1
    out = ["/* Generated from ligo.h's QUICK START by tests/extract_quickstart.py. */",
           "#define LIGO_IMPLEMENTATION", '#include "../ligo.h"', "#include <stdio.h>", "",
           "int main(void) {"] + code + ["    return 0;", "}", ""]
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
