#!/usr/bin/env python3
"""Keep docs/tour.md true: every file it cites in backticks must exist, and
every function it cites (`name()` in backticks) must still be defined or
declared at the start of a line in src/ or examples/ (a function
definition, a prototype or a function-like macro).

    python3 tests/check_tour.py docs/tour.md
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = re.compile(r"`([^`\n]+)`")
FUNC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(\)$")
FILE = re.compile(r"^(?:src|examples|tests|tools|docs|bench|mk|cmake)/[A-Za-z0-9_./-]+$|^[A-Za-z0-9_-]+\.(?:h|py|md)$")


def sources():
    text = {}
    for pat in ("src/*.c", "src/*.h", "src/*/*.c", "src/*/*.h", "examples/*.c", "examples/*.h"):
        for p in glob.glob(os.path.join(ROOT, pat)):
            with open(p, encoding="utf-8") as f:
                text[os.path.relpath(p, ROOT)] = f.read()
    return text


def defined(name, text):
    """A line that starts (column 0) with a declaration or definition of
    name: `type name(`, `LIGO_API type *name(`, `#define name(`."""
    pat = re.compile(r"^(?:#\s*define\s+|[A-Za-z_][^;=()\n]*[\s*])" + re.escape(name) + r"\s*\(", re.M)
    return [p for p, t in text.items() if pat.search(t)]


def main(argv):
    if len(argv) != 2:
        print("usage: check_tour.py docs/tour.md", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        tour = f.read()
    text = sources()
    funcs, files, bad = set(), set(), []
    for tok in TICKS.findall(tour):
        tok = tok.strip()
        m = FUNC.match(tok)
        if m:
            funcs.add(m.group(1))
        elif FILE.match(tok):
            files.add(tok)
    for f in sorted(files):
        if not os.path.exists(os.path.join(ROOT, f)):
            bad.append("file %s does not exist" % f)
    for fn in sorted(funcs):
        if not defined(fn, text):
            bad.append("function %s() is not defined in src/ or examples/" % fn)
    if len(funcs) < 10 or len(files) < 5:
        bad.append("the tour cites only %d functions and %d files: is the citation syntax still `name()` and `dir/file`?"
                   % (len(funcs), len(files)))
    for b in bad:
        print("check-tour: %s: %s" % (argv[1], b), file=sys.stderr)
    if bad:
        print("check-tour: %d stale names: update docs/tour.md" % len(bad), file=sys.stderr)
        return 1
    print("check-tour: %s cites %d functions and %d files, all present" % (argv[1], len(funcs), len(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
