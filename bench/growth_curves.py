#!/usr/bin/env python3
"""Validation loss of every method at fixed fractions of scratch's FLOPs,
from the curves CSV that `ligo bench growth` writes (mean over seeds,
linear interpolation between evaluations). Standard library only.

    python3 bench/growth_curves.py bench_out/curves_full_gpt.csv
"""
import csv
import sys
from collections import defaultdict


def at(points, x):
    """Loss at FLOPs x on a curve of (flops, loss), or None before its start."""
    if x < points[0][0]:
        return None
    for (f0, l0), (f1, l1) in zip(points, points[1:]):
        if f0 <= x <= f1:
            return l0 + (l1 - l0) * (x - f0) / (f1 - f0) if f1 > f0 else l1
    return points[-1][1] if x >= points[-1][0] else None


def main(path, fractions=(0.1, 0.25, 0.5, 0.75, 1.0)):
    curves = defaultdict(list)
    order = []
    for r in csv.DictReader(open(path)):
        key = (r["family"], r["method"], r["seed"])
        if (r["family"], r["method"]) not in order:
            order.append((r["family"], r["method"]))
        curves[key].append((float(r["flops"]), float(r["val_loss"])))
    for fam in sorted({f for f, _ in order}):
        budget = [c[-1][0] for (f, m, s), c in curves.items() if f == fam and m == "scratch"]
        if not budget:
            continue
        total = sum(budget) / len(budget)
        print("%s: validation loss at a fraction of scratch's FLOPs (%.3g), mean over seeds" % (fam, total))
        print("| method | " + " | ".join("%d%%" % round(100 * x) for x in fractions) + " |")
        print("|---|" + "---|" * len(fractions))
        for f, m in order:
            if f != fam:
                continue
            cells = []
            for x in fractions:
                v = [at(c, x * total) for (ff, mm, s), c in curves.items() if ff == f and mm == m]
                v = [y for y in v if y is not None]
                cells.append("%.4f" % (sum(v) / len(v)) if v else "-")
            print("| %s | %s |" % (m, " | ".join(cells)))
        print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: growth_curves.py CURVES.csv")
    main(sys.argv[1])
