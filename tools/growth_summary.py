#!/usr/bin/env python3
"""growth_summary.py: the headline table of the growth benchmark from the
JSON lines `ligo bench growth` prints last, beside the paper's figures.

    python3 tools/growth_summary.py bench_out/both_gpt.json bench_out/both_bert.json ...

Each argument is a file whose last line is the benchmark's JSON. For every
setting and family it prints one row: the best baseline (chosen on the
selection seeds), the paired difference of the annealed validation loss at
the full budget N (learned operator minus the best baseline, and minus
scratch: mean +- 95% t-interval, seeds where the learned one is lower),
and the FLOPs each saves to reach scratch's annealed loss at N. The
learned operator is the setting's: ligo-depth (depth only), ligo-width
(width only), ligo (both). "no difference measured" where the interval
includes zero. Methods are found by name whatever variant the selection
seeds chose ("ligo-depth:lr=0.01" is ligo-depth), and the chosen variant is
printed beside the best baseline.
"""
import json
import sys

LEARNED = {"depth": "ligo-depth", "width": "ligo-width", "both": "ligo"}
# Wang et al. 2023 (Table 1, Fig. 6): FLOPs saved, operator included
PAPER = {("depth", "bert"): "51.7% (BERT-Small to Base, depth only)",
         ("width", "bert"): "41.6% (width only)",
         ("both", "bert"): "44.7% (BERT-Small to Base)",
         ("both", "vit"): "55.4% (DeiT-S to DeiT-B)",
         ("both", "gpt"): "22.5% (GPT2-Base to Medium)"}
TITLE = {"gpt": "GPT", "bert": "BERT", "vit": "ViT", "llama": "LLaMA"}


def cell(d, wins=None, pct=False):
    if d is None or d.get("n", 0) == 0:
        return "-"
    m, ci = d["mean"], d.get("ci95")
    scale, fmt = (100.0, "%.1f%%") if pct else (1.0, "%+.4f")
    s = fmt % (scale * m)
    if ci is not None:
        s += " ± " + (fmt.replace("+", "") % (scale * ci))
    if wins is not None:
        s += " (%d/%d)" % (wins, d["n"])
    if not pct and (ci is None or (m - ci <= 0 <= m + ci)):
        s += ", no difference measured"
    return s


def chosen(g, name):
    """The reported label of method `name` (its chosen variant), or name."""
    for m in g.get("methods", {}):
        if m.split(":")[0] == name:
            return m
    return name


def main(argv):
    rows = []
    for path in argv[1:]:
        with open(path) as f:
            j = json.loads(f.read().strip().splitlines()[-1])
        for setting, fams in j["settings"].items():
            for fam, g in fams.items():
                rows.append((setting, fam, g, j.get("report_seeds")))
    print("| setting | family | best baseline | learned − best baseline at N | learned − scratch at N "
          "| FLOPs saved to scratch's loss at N: learned / best baseline | paper (LiGO, FLOPs saved) |")
    print("|---|---|---|---|---|---|---|")
    order = {"both": 0, "depth": 1, "width": 2}
    for setting, fam, g, _ in sorted(rows, key=lambda r: (order.get(r[0], 9), r[1])):
        learned = chosen(g, LEARNED[setting])
        scratch = chosen(g, "scratch")
        best = g.get("best_baseline")
        pairs = g.get("pairs", {})
        vs_best = pairs.get("%s vs %s" % (learned, best), [None])[-1] if best else None
        vs_scr = pairs.get("%s vs %s" % (learned, scratch), [None])[-1]
        sv_l = g["methods"].get(learned, {}).get("saving", [None])[-1]
        sv_b = g["methods"].get(best, {}).get("saving", [None])[-1] if best else None
        print("| %s | %s | %s | %s | %s | %s / %s | %s |" % (
            setting, TITLE.get(fam, fam), (best or "-") + ("" if learned == LEARNED[setting] and scratch == "scratch"
                                                           else " (%s, %s)" % (learned, scratch)),
            cell(vs_best, vs_best.get("wins") if vs_best else None),
            cell(vs_scr, vs_scr.get("wins") if vs_scr else None),
            cell(sv_l, pct=True), cell(sv_b, pct=True), PAPER.get((setting, fam), "-")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
