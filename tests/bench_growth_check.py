#!/usr/bin/env python3
"""bench_growth_check.py: `ligo bench growth` end to end on a tiny protocol,
checked from its own outputs by independent recomputation:

- every method meets scratch at equal FLOPs at every annealed budget (within
  one training step's FLOPs), and a learned method trains fewer steps by
  its fitting's cost;
- the JSON's paired differences, annealed losses and intervals equal the
  ones recomputed here from the CSV (mean of per-seed differences, t
  quantiles from a printed table);
- the variant reported for a method is the one with the lower mean on the
  selection seeds, and only it runs on the report seeds; scratch has a
  variant too (its learning rate), and the one chosen sets the targets:
  the JSON's FLOPs savings equal the ones recomputed here against it
  (linear interpolation in FLOPs on each method's annealed losses);
- a second invocation reuses every cached run and reports the same numbers;
- scratch's runs (which never read the small model) are shared between
  settings: the depth setting reuses both's and reports the same scratch
  losses, one invocation of two settings starts each scratch run once and
  reports it in both, and another corpus runs scratch again.

Usage: bench_growth_check.py BUILD_DIR
"""
import csv
import glob
import json
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from tinterval import mean_ci as summary, t95  # noqa: E402


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    tool = os.path.join(build, "ligo")
    work = os.path.join(build, "bench_check")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    text = os.path.join(work, "corpus.txt")
    with open(text, "wb") as f:
        for d, _, names in sorted(os.walk("src")):  # the sources, src/ops/ and src/gen/ too
            for name in sorted(names):
                with open(os.path.join(d, name), "rb") as g:
                    f.write(g.read())
    args = [tool, "bench", "growth", "--settings", "both", "--families", "gpt", "--methods", "scratch,stack,ligo",
            "--variants", "stack:noise=0.05,scratch:lr=0.003", "--select-seeds", "2", "--report-seeds", "2", "--width", "32",
            "--layers", "2", "--steps", "120", "--fit-steps", "5", "--evals", "4", "--eval-windows", "64",
            "--jobs", "2", "--text", text, "--out", work]
    problems = []

    def run():
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        if p.returncode != 0:
            print(p.stderr.decode())
            raise SystemExit("bench growth check: exit %d" % p.returncode)
        return json.loads(p.stdout.decode().strip().splitlines()[-1]), p.stderr.decode()

    j, _ = run()
    g = j["settings"]["both"]["gpt"]
    rows = list(csv.DictReader(open(j["curves"])))
    ann = {}  # (method, seed) -> [(steps, flops, loss)]
    for r in rows:
        if r["kind"] == "annealed":
            ann.setdefault((r["method"], int(r["seed"])), []).append((int(r["steps"]), float(r["flops"]), float(r["val_loss"])))
    start = {}  # (method, seed) -> (flops, loss) right after growth
    for r in rows:
        if r["kind"] == "trunk" and r["index"] == "0":
            start[(r["method"], int(r["seed"]))] = (float(r["flops"]), float(r["val_loss"]))
    for v in ann.values():
        v.sort(key=lambda t: t[1])

    def score(m, seeds):
        return sum(sum(p[2] for p in ann[(m, s)]) / len(ann[(m, s)]) for s in seeds) / len(seeds)

    # scratch's variant: the lower mean annealed loss over budgets on seeds 0, 1
    sx = "scratch:lr=0.003" if score("scratch:lr=0.003", [0, 1]) < score("scratch", [0, 1]) else "scratch"
    # equal FLOPs at every budget, fitting taken off the learned method's steps
    for (m, s), pts in ann.items():
        sc = ann[(sx if s >= 2 else "scratch", s)]
        step = sc[0][1] / sc[0][0]
        for (st, fl, _), (sst, sfl, _) in zip(pts, sc):
            if abs(fl - sfl) > step:
                problems.append("%s seed %d: %.4g FLOPs at a budget where scratch has %.4g" % (m, s, fl, sfl))
            if m == "ligo" and not st < sst:
                problems.append("ligo seed %d trains %d steps at a budget where scratch trains %d" % (s, st, sst))
    # the variant: the lower mean annealed loss over budgets on seeds 0, 1
    chosen = "stack:noise=0.05" if score("stack:noise=0.05", [0, 1]) < score("stack", [0, 1]) else "stack"
    other = "stack" if chosen != "stack" else "stack:noise=0.05"
    if chosen not in g["methods"] or other in g["methods"]:
        problems.append("reported %s, want the selection seeds' choice %s" % (sorted(g["methods"]), chosen))
    if (other, 2) in ann or (other, 3) in ann:
        problems.append("%s ran on the report seeds though not chosen" % other)
    sx_other = "scratch" if sx != "scratch" else "scratch:lr=0.003"
    if sx not in g["methods"] or sx_other in g["methods"] or (sx_other, 2) in ann or (sx_other, 3) in ann:
        problems.append("reported %s, want scratch's selection-seed choice %s only" % (sorted(g["methods"]), sx))
    # paired differences and annealed losses on the report seeds 2, 3
    K = len(ann[(sx, 2)])
    for b in (sx, chosen):
        pr = g["pairs"]["ligo vs " + b]
        for k in range(K):
            d = [ann[("ligo", s)][k][2] - ann[(b, s)][k][2] for s in (2, 3)]
            m, ci = summary(d)
            got = pr[k]
            # the CSV's losses carry 6 decimals: each difference is off by up to 1e-6, the
            # interval by up to t * 2e-6 / sqrt(n) (12.7 for n = 2: 1.8e-5 on a ci near 1e-3)
            ci_tol = 2e-3 * max(ci, 1e-3) + t95(len(d) - 1) * 2e-6
            if abs(got["mean"] - m) > 1e-5 or abs(got["ci95"] - ci) > ci_tol or got["n"] != 2:
                problems.append("ligo vs %s at %d: %s, recomputed mean %.6g ci %.6g" % (b, k, got, m, ci))
            if got["wins"] != sum(x < 0 for x in d):
                problems.append("ligo vs %s at %d: wins %d" % (b, k, got["wins"]))
    for m in g["methods"]:
        for k, la in enumerate(g["methods"][m]["loss_at"]):
            mean, _ = summary([ann[(m, s)][k][2] for s in (2, 3)])
            if abs(la["mean"] - mean) > 1e-5:
                problems.append("%s loss_at %d: %.6g, recomputed %.6g" % (m, k, la["mean"], mean))
        sv = g["methods"][m]["saving"]
        if len(sv) != K or any(not {"mean", "ci95", "n", "never"} <= set(x) for x in sv):
            problems.append("%s: saving entries %s" % (m, sv))
            continue
        # savings against the chosen scratch, recomputed from the CSV
        for k in range(K):
            got = []
            for s in (2, 3):
                pts = [start[(m, s)]] + [(fl, lo) for _, fl, lo in ann[(m, s)]]
                target, budget = ann[(sx, s)][k][2], ann[(sx, s)][k][1]
                reach = pts[-1][0]
                for i, (fl, lo) in enumerate(pts):
                    if lo <= target:
                        reach = fl if i == 0 else pts[i - 1][0] + (pts[i - 1][1] - target) / (pts[i - 1][1] - lo) * (fl - pts[i - 1][0])
                        break
                got.append(1.0 - reach / budget)
            mean, _ = summary(got)
            # the CSV's 6 decimals of loss and FLOPs move an interpolated point a little
            if abs(sv[k]["mean"] - mean) > 2e-3:
                problems.append("%s saving at %d: %.6g, recomputed against %s %.6g" % (m, k, sv[k]["mean"], sx, mean))
    for name in (j["table"], j["curves"], g["chart"]):
        if not os.path.getsize(name):
            problems.append("%s is empty" % name)
    # the chart renders (rsvg-convert, librsvg2-bin; CI installs it)
    if shutil.which("rsvg-convert"):
        png = os.path.join(work, "chart.png")
        r = subprocess.run(["rsvg-convert", g["chart"], "-o", png], stderr=subprocess.PIPE)
        if r.returncode != 0 or not os.path.exists(png) or open(png, "rb").read(8) != b"\x89PNG\r\n\x1a\n":
            problems.append("%s does not render: %s" % (g["chart"], r.stderr.decode().strip()))
    else:
        print("bench growth check: rsvg-convert not installed, the chart's rendering is not checked")
    # cached: the same numbers, no run started
    j2, err2 = run()
    if "start" in err2 or j2["settings"] != j["settings"]:
        problems.append("the second invocation did not reuse the cached runs")
    # the learned run's operator is kept, and a cached run without one fits
    # it again to the same bytes (the fitting is deterministic)
    ops = sorted(glob.glob(os.path.join(work, "runs", "*ligo_s2_*.op.safetensors")))  # the first report seed's
    if not ops:
        problems.append("no operator file kept for the ligo runs")
    else:
        before = open(ops[0], "rb").read()
        for o in ops:
            os.remove(o)
        j3, _ = run()
        if not os.path.exists(ops[0]) or open(ops[0], "rb").read() != before:
            problems.append("fitting %s again did not give the same operator" % os.path.basename(ops[0]))
        pics = glob.glob(os.path.join(work, "ops_both_gpt_ligo", "*.svg"))
        if len(pics) != 2:
            problems.append("the ligo operator's pictures are missing (%s)" % pics)
    # scratch does not read the small model, so its runs are shared between
    # settings: the depth setting (a small model and stack runs of its own)
    # starts no scratch run and reports scratch's losses as both did
    def scratch_of(ms):  # the chosen variant's label: "scratch" or "scratch:lr=..."
        return [(k, v["loss_at"]) for k, v in ms.items() if k.split(":")[0] == "scratch"]

    dargs = [a if a != "both" else "depth" for a in args]
    dargs[dargs.index("--methods") + 1] = "scratch,stack"
    p = subprocess.run(dargs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        problems.append("the depth setting failed: %s" % p.stderr.decode()[-400:])
    else:
        dj = json.loads(p.stdout.decode().strip().splitlines()[-1])
        started = [l for l in p.stderr.decode().splitlines() if "start" in l and "scratch" in l]
        if started:
            problems.append("the depth setting ran scratch again: %s" % started[0])
        if not [l for l in p.stderr.decode().splitlines() if "start depth gpt stack" in l]:
            problems.append("the depth setting ran no stack run of its own")
        ds, bs = scratch_of(dj["settings"]["depth"]["gpt"]["methods"]), scratch_of(g["methods"])
        if len(bs) != 1 or ds != bs:
            problems.append("scratch's losses differ between the depth and both settings: %s, %s" % (ds, bs))
    # and in one invocation of two settings, each scratch run starts once
    p = subprocess.run([a if a != "depth" else "depth,both" for a in dargs] + ["--fresh"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    starts = [l.split("start ", 1)[1].split(" (")[0] for l in p.stderr.decode().splitlines() if "bench: start" in l]
    scratch = sorted(" ".join(s.split()[2:]) for s in starts if s.split()[2].split(":")[0] == "scratch")
    if p.returncode != 0 or not scratch or len(set(scratch)) != len(scratch):
        problems.append("depth and both in one invocation: scratch runs started %s (exit %d)" % (scratch, p.returncode))
    else:  # and the setting whose scratch jobs were not started read them back
        cj = json.loads(p.stdout.decode().strip().splitlines()[-1])["settings"]
        cd, cb = scratch_of(cj["depth"]["gpt"]["methods"]), scratch_of(cj["both"]["gpt"]["methods"])
        if len(cb) != 1 or cd != cb or any(x["n"] != 2 for x in cb[0][1]):
            problems.append("depth and both in one invocation: scratch's losses %s, %s" % (cd, cb))
    # the data is in scratch's key: another corpus runs scratch again
    text2 = os.path.join(work, "corpus2.txt")
    with open(text2, "wb") as f:
        f.write(open(text, "rb").read() + b"\n/* one more line */\n")
    p = subprocess.run([a if a != text else text2 for a in dargs], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600)
    if p.returncode != 0 or not [l for l in p.stderr.decode().splitlines() if "start depth gpt scratch" in l]:
        problems.append("another corpus did not run scratch again (exit %d)" % p.returncode)
    for p in problems:
        print("bench growth check: " + p)
    print("bench growth check: %d problems (equal FLOPs, paired statistics, variant choice, cache)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
