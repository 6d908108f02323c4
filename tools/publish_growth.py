#!/usr/bin/env python3
"""Copy the growth benchmark's outputs from its OUT directory into the
repository's docs: per setting and family the Markdown report, its SVG
chart, its CSV curves and the pictures of the learned operators, with the
report's paths rewritten to the copies (and names made portable: ':' and
'=' in a variant's name become '_').

    python3 tools/publish_growth.py bench_out docs/results/growth

Run it after bench/growth_all.sh (or any `ligo bench growth --out OUT
--tag _SETTING_FAMILY`); docs/results/growth.md links the copies.

It also copies every run record of OUT/runs/ (a few kilobytes each: the
run's key, its fitting cost and its evaluations) into DEST/runs/, so the
raw measurements behind the tables are kept with them. Copied back into
an OUT's runs/ folder they are the benchmark's cache: the same commands
then rebuild every table and chart without training, and a record deleted
first is trained again, to be compared with the kept one.
"""
import os
import re
import shutil
import sys


def portable(name):
    return re.sub(r"[:=]", "_", name)


def main(argv):
    if len(argv) != 3:
        print("usage: publish_growth.py OUT DEST", file=sys.stderr)
        return 2
    out, dest = argv[1], argv[2]
    reports = sorted(f for f in os.listdir(out) if re.match(r"growth_.+\.md$", f))
    if not reports:
        print("publish_growth.py: no growth_*.md in %s" % out, file=sys.stderr)
        return 1
    os.makedirs(dest, exist_ok=True)
    for rep in reports:
        tag = rep[len("growth_"):-len(".md")]  # e.g. both_gpt
        with open(os.path.join(out, rep), encoding="utf-8") as f:
            text = f.read()
        # every path under OUT the report names: charts, curves, operator pictures
        # (as the report spells OUT: the directory of its chart)
        m = re.search(r"^- Chart: (\S+/)[^/\s]+\.svg$", text, re.M)
        if not m:
            print("publish_growth.py: %s has no chart line" % rep, file=sys.stderr)
            return 1
        prefix = m.group(1)
        found = set(p.rstrip(".") for p in re.findall(re.escape(prefix) + r"[^\s,;)]+", text))
        for path in sorted(found, key=len, reverse=True):
            rel = path[len(prefix):]
            src = os.path.join(out, rel)
            parts = rel.split("/")
            parts[0] = portable(parts[0])
            new_rel = "/".join(parts)
            dst = os.path.join(dest, new_rel)
            if not os.path.exists(src):
                print("publish_growth.py: %s names %s, which is missing" % (rep, src), file=sys.stderr)
                return 1
            os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
            shutil.copyfile(src, dst)
            text = text.replace(path, "[%s](%s)" % (new_rel, new_rel))
        with open(os.path.join(dest, tag + ".md"), "w", encoding="utf-8") as f:
            f.write(text)
        print("publish_growth.py: %s -> %s" % (rep, os.path.join(dest, tag + ".md")))
    runs = os.path.join(out, "runs")
    records = sorted(f for f in os.listdir(runs) if f.endswith(".txt")) if os.path.isdir(runs) else []
    if records:
        os.makedirs(os.path.join(dest, "runs"), exist_ok=True)
        for rec in records:
            shutil.copyfile(os.path.join(runs, rec), os.path.join(dest, "runs", rec))
        print("publish_growth.py: %d run records -> %s" % (len(records), os.path.join(dest, "runs")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
