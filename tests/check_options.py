#!/usr/bin/env python3
"""Keep the OPTIONS table at the top of ligo.h complete: every LIGO_*
macro the sources test with #ifdef, #ifndef or defined() (a compile-time
option a user can set) must be named in the OPTIONS block of src/doc.h.
Private names (LIGO__*) and include guards (*_H) are not options.

    python3 tests/check_options.py
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTED = re.compile(r"#\s*(?:ifdef|ifndef|if|elif)\b[^\n]*")
NAME = re.compile(r"\bLIGO_[A-Z0-9_]+\b")


def main():
    honoured = {}
    for p in sorted(glob.glob(os.path.join(ROOT, "src", "*.[ch]")) + glob.glob(os.path.join(ROOT, "src", "*", "*.[ch]"))):
        if p.endswith("doc.h"):
            continue
        with open(p, encoding="utf-8") as f:
            for line in TESTED.findall(f.read()):
                for n in NAME.findall(line):
                    if not n.startswith("LIGO__") and not n.endswith("_H"):
                        honoured.setdefault(n, os.path.relpath(p, ROOT))
    with open(os.path.join(ROOT, "src", "doc.h"), encoding="utf-8") as f:
        doc = f.read()
    m = re.search(r"^ \* OPTIONS.*?(?=^ \* [A-Z]+\n)", doc, re.S | re.M)
    if not m:
        print("check-options: no OPTIONS block in src/doc.h", file=sys.stderr)
        return 1
    block = set(NAME.findall(m.group(0)))
    missing = sorted(n for n in honoured if n not in block)
    for n in missing:
        print("check-options: %s (tested in %s) is not in the OPTIONS table of src/doc.h" % (n, honoured[n]),
              file=sys.stderr)
    if missing or len(honoured) < 3:
        return 1
    print("check-options: the OPTIONS table names all %d options the sources honour (%s)"
          % (len(honoured), ", ".join(sorted(honoured))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
