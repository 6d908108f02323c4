#!/usr/bin/env python3
"""llama_summary.py: the LLaMA-against-GPT table and chart from the files
bench/llama_vs_gpt.sh leaves in its output directory.

    python3 tools/llama_summary.py bench_out/llama [docs/results]

Reads, per run NAME (gpt_sK, llama_sK, llamagqa_s1): NAME.train.json (the
last line `ligo train` prints), NAME.csv (its log: validation loss every
150 steps on 128 windows), NAME.eval.json (`ligo eval` on the whole
validation split), NAME.torch.json (tools/ligo_torch.py eval on the same
checkpoint) and, for the LLaMA runs, NAME.fpi.eval.json (`ligo eval` of
the function-preserving growth to 8 x 256). Prints the markdown report;
with a second argument also writes DIR/llama.md and DIR/llama_curve.svg.
Exits 1 when a check fails: LLaMA's mean above GPT's mean + 0.02 nats,
ligo eval against PyTorch or FPI's loss against the small model's beyond
1e-5 relative.
"""
import csv
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tinterval import mean_ci  # noqa: E402

MARGIN = 0.02   # nats: LLaMA's mean may be at most GPT's mean + this
REL = 1e-5      # ligo eval vs PyTorch, FPI vs the small model


def last_json(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    return json.loads(lines[-1])


def curve(path):
    pts = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row.get("val_loss"):
                pts.append((int(row["step"]), float(row["val_loss"])))
    return pts


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def svg_chart(series, path):
    """series: {label: (colour, [[(step, loss)...] per seed])}: the mean
    line per family and a band from the lowest to the highest seed."""
    W, H, L, R, T, Bm = 640, 400, 60, 20, 20, 45
    allpts = [p for _, runs in series.values() for r in runs for p in r]
    x0, x1 = 0, max(s for s, _ in allpts)
    ys = [v for _, v in allpts]
    y0, y1 = math.floor(min(ys) * 10) / 10, math.ceil(max(ys) * 10) / 10
    X = lambda s: L + (W - L - R) * (s - x0) / (x1 - x0)
    Y = lambda v: T + (H - T - Bm) * (y1 - min(max(v, y0), y1)) / (y1 - y0)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>']
    k = y0
    while k <= y1 + 1e-9:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, Y(k), Y(k)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (L - 5, Y(k) + 4, k))
        k += 0.1
    for s in range(0, x1 + 1, 500):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(s), H - Bm + 15, s))
    out.append('<text x="%d" y="%d" text-anchor="middle">training step</text>' % ((L + W - R) // 2, H - 8))
    out.append('<text x="15" y="%d" transform="rotate(-90 15 %d)" text-anchor="middle">validation loss (nats, 128 windows)</text>' % (H // 2, H // 2))
    for i, (label, (colour, runs)) in enumerate(series.items()):
        steps = sorted(set(s for s, _ in runs[0]))
        by = [dict(r) for r in runs]
        steps = [s for s in steps if all(s in d for d in by)]
        lo = [min(d[s] for d in by) for s in steps]
        hi = [max(d[s] for d in by) for s in steps]
        mu = [sum(d[s] for d in by) / len(by) for s in steps]
        band = " ".join("%.1f,%.1f" % (X(s), Y(v)) for s, v in zip(steps, hi))
        band += " " + " ".join("%.1f,%.1f" % (X(s), Y(v)) for s, v in reversed(list(zip(steps, lo))))
        out.append('<polygon points="%s" fill="%s" fill-opacity="0.2" stroke="none"/>' % (band, colour))
        line = " ".join("%.1f,%.1f" % (X(s), Y(v)) for s, v in zip(steps, mu))
        out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (line, colour))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - R - 200, T + 15 + 16 * i, colour, label))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    d = argv[1]
    runs = {}
    for p in sorted(glob.glob(os.path.join(d, "*_s?.eval.json"))):
        name = os.path.basename(p)[:-len(".eval.json")]
        r = {"name": name, "family": name.split("_")[0], "seed": int(name[-1])}
        r["train"] = last_json(os.path.join(d, name + ".train.json"))
        r["val"] = last_json(p)["val_loss"]
        r["predictions"] = last_json(p).get("predictions")
        r["torch"] = last_json(os.path.join(d, name + ".torch.json"))["val_loss"]
        r["curve"] = curve(os.path.join(d, name + ".csv"))
        fp = os.path.join(d, name + ".fpi.eval.json")
        r["fpi"] = last_json(fp)["val_loss"] if os.path.exists(fp) else None
        ft = os.path.join(d, name + ".fpi.torch.json")
        r["fpi_torch"] = last_json(ft)["val_loss"] if os.path.exists(ft) else None
        runs[name] = r
    fam = lambda f: [r for r in runs.values() if r["family"] == f]
    gpt, llama = fam("gpt"), fam("llama")
    if not gpt or not llama:
        print("llama_summary: no gpt or llama runs in %s" % d, file=sys.stderr)
        return 2
    ok = True
    lines = ["# A LLaMA-style decoder against GPT on Tiny Shakespeare", "",
             "Back to the [README](../../README.md).", "",
             "One recipe for both families: 4 layers x 128, 4 heads, context 128, batch 16,",
             "3,000 steps, AdamW (lr 1e-3, betas 0.9/0.95, weight decay 0.1), 100 warm-up",
             "steps then cosine decay to 1e-4, clipping 1.0, each run on one thread (two",
             "at once). LLaMA: RMSNorm, rotary positions (base 10000), SwiGLU with",
             "hidden size 352 (8 x 128 / 3 rounded up to a multiple of 32), no biases,",
             "LM head tied to the embedding. Validation loss: `ligo eval` on the whole",
             "validation split (every non-overlapping 129-byte window of the last 10%).",
             "Training seconds and tokens/s are wall-clock on a 2-core machine that other",
             "jobs shared: they are not a speed comparison.", "",
             "```sh", "bash bench/llama_vs_gpt.sh build data/tinyshakespeare.txt bench_out/llama",
             "python3 tools/llama_summary.py bench_out/llama docs/results", "```", "",
             "| run | parameters | validation loss | PyTorch (tools/ligo_torch.py) | relative difference | training s | tokens/s |",
             "|---|---|---|---|---|---|---|"]
    for r in sorted(runs.values(), key=lambda r: (r["family"], r["seed"])):
        e = rel(r["val"], r["torch"])
        ok &= e <= REL
        t = r["train"]
        lines.append("| %s | %s | %.6f | %.6f | %.1e | %.0f | %.0f |" % (
            r["name"], "{:,}".format(t["params"]), r["val"], r["torch"], e, t["seconds"], t["tokens_per_sec"]))
    seeds = sorted(set(r["seed"] for r in gpt) & set(r["seed"] for r in llama))
    bys = lambda rs: {r["seed"]: r["val"] for r in rs}
    g, l = bys(gpt), bys(llama)
    mg, cg = mean_ci([g[s] for s in seeds])
    ml, cl = mean_ci([l[s] for s in seeds])
    md, cd = mean_ci([l[s] - g[s] for s in seeds])
    wins = sum(l[s] < g[s] for s in seeds)
    fmt = lambda m, c: "%.4f" % m + ("" if c is None else " ± %.4f" % c)
    passed = ml <= mg + MARGIN
    ok &= passed
    lines += ["", "Over seeds %s (95%% t-intervals):" % ", ".join(map(str, seeds)), "",
              "| | mean validation loss |", "|---|---|",
              "| GPT | %s |" % fmt(mg, cg), "| LLaMA | %s |" % fmt(ml, cl),
              "| LLaMA - GPT, paired by seed | %s (LLaMA lower in %d of %d) |" % (
                  ("%+.4f" % md) + ("" if cd is None else " ± %.4f" % cd), wins, len(seeds)), "",
              "LLaMA's mean is %s GPT's mean + %.2f nats (%.4f against %.4f): %s." % (
                  "within" if passed else "above", MARGIN, ml, mg + MARGIN, "passes" if passed else "FAILS")]
    gqa = [r for r in runs.values() if r["family"] == "llamagqa"]
    if gqa:
        r = gqa[0]
        lines += ["", "With grouped KV heads (2 KV heads for 4 query heads, seed %d): %.4f, %+.4f "
                  "against the multi-head LLaMA of the same seed." % (r["seed"], r["val"], r["val"] - l.get(r["seed"], float("nan")))]
    lines += ["", "## Function-preserving growth of the trained models", "",
              "`ligo grow --method fpi --symmetry-noise 0` to 8 x 256 (8 heads; KV heads scaled",
              "with the heads, keeping each group's size), then `ligo eval` (six decimals)",
              "and the PyTorch model of tools/ligo_torch.py in full precision, whose",
              "difference between the grown and the small model is the last column:", "",
              "| run | small model | grown 8 x 256 | small, PyTorch | grown, PyTorch | relative difference (PyTorch) |",
              "|---|---|---|---|---|---|"]
    for r in sorted(runs.values(), key=lambda r: r["name"]):
        if r["fpi"] is None:
            continue
        ok &= rel(r["fpi"], r["val"]) <= REL
        if r["fpi_torch"] is None:
            print("llama_summary: %s.fpi.torch.json is missing" % r["name"], file=sys.stderr)
            ok = False
            continue
        e = rel(r["fpi_torch"], r["torch"])
        ok &= e <= REL
        lines.append("| %s | %.6f | %.6f | %.12f | %.12f | %.1e |" % (
            r["name"], r["val"], r["fpi"], r["torch"], r["fpi_torch"], e))
    if len(argv) == 3:
        svg = os.path.join(argv[2], "llama_curve.svg")
        svg_chart({"GPT (mean; band: seeds' range)": ("#1f77b4", [r["curve"] for r in gpt]),
                   "LLaMA (mean; band: seeds' range)": ("#d62728", [r["curve"] for r in llama])}, svg)
        lines += ["", "## Loss curves", "",
                  "Validation loss on the first 128 windows every 150 steps (the training log):", "",
                  "![GPT and LLaMA validation loss](llama_curve.svg)"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if len(argv) == 3:
        with open(os.path.join(argv[2], "llama.md"), "w") as f:
            f.write(text)
    if not ok:
        print("llama_summary: a check failed (see above)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
