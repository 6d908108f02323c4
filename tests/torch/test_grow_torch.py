#!/usr/bin/env python3
"""tools/ligo_grow_torch.py against `ligo grow`, for GPT, BERT, ViT and LLaMA.

    /usr/bin/python3 tests/torch/test_grow_torch.py --build build

For each family: train a tiny small model with `build/ligo train` (a few
steps), grow it with `build/ligo grow --operator-out` for every method whose
operator ligo saves and for the options (a few fitting steps), then
materialise the same large model in PyTorch from the small checkpoint and
the operator file; every tensor must equal ligo's grown checkpoint to
max|a - b| <= 1e-6 max|b| (the largest such error of each case is
printed); fixed methods without noise, for which ligo writes no operator,
through grow_fixed. Last, operator files ligo_grow_torch.py must refuse (another
method, an unknown option, a definition of one's own, a missing or extra
tensor, the wrong small model, a fitting state) are refused, with an error
naming the problem.
"""
import argparse
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import ROOT, check, counts, make_images, run  # noqa: E402
import ligo_torch as lt  # noqa: E402
import ligo_grow_torch as lgt  # noqa: E402

TOL = 1e-6


def compare(mine, ref_path):
    """(worst max|a - b| / max|b| over the tensors, what differs)."""
    _, ref = lt.read_safetensors(ref_path)
    ref = {k: v for k, v in ref.items() if not k.startswith("ligo.")}
    if list(mine) != list(ref):
        return float("inf"), "names differ: %s" % sorted(set(mine) ^ set(ref))[:4]
    worst, where = 0.0, ""
    for k, b in ref.items():
        a = mine[k]
        if a.dtype != torch.float32 or tuple(a.shape) != tuple(b.shape):
            return float("inf"), "%s is %s %s, ligo's %s" % (k, a.dtype, list(a.shape), list(b.shape))
        e = float((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30))
        if e > worst:
            worst, where = e, k
    return worst, where


# (name, ligo grow options): the large sizes and the options. Small models
# are 2 layers x 32 wide, 2 heads, FFN 64.
WIDE = ["--layers", "3", "--dim", "48", "--heads", "3", "--ffn", "96"]  # non-integer ratios
DOUBLE = ["--layers", "4", "--dim", "64", "--heads", "4", "--ffn", "128"]
HEAD_DIM = ["--layers", "3", "--dim", "64", "--heads", "2", "--ffn", "128", "--grow-head-dim"]
CASES = [
    ("ligo", ["--method", "ligo"] + WIDE),
    ("ligo-width", ["--method", "ligo-width"] + WIDE),
    ("ligo-depth", ["--method", "ligo-depth"] + WIDE),
    ("stack", ["--method", "stack"] + WIDE),
    ("interlace", ["--method", "interlace"] + DOUBLE),
    ("fpi", ["--method", "fpi"] + DOUBLE),
    ("fpi 1.5x", ["--method", "fpi"] + WIDE),
    ("aki", ["--method", "aki"] + WIDE),
    ("ligo full_width", ["--method", "ligo", "--full-width"] + WIDE),
    ("ligo width_first", ["--method", "ligo", "--width-first"] + WIDE),
    ("ligo grow_head_dim", ["--method", "ligo"] + HEAD_DIM),
    ("ligo grow_head_dim full_width width_first", ["--method", "ligo", "--full-width", "--width-first"] + HEAD_DIM),
    ("fpi grow_head_dim", ["--method", "fpi"] + HEAD_DIM),
    ("ligo residual", ["--method", "ligo", "--residual"] + WIDE),
    ("ligo-depth residual", ["--method", "ligo-depth", "--residual"] + DOUBLE),
    ("ligo depth only", ["--method", "ligo", "--layers", "4"]),
    ("stack FFN only", ["--method", "stack", "--layers", "2", "--ffn", "96"]),
    ("ligo depth_init rand width_init sel_noisy", ["--method", "ligo", "--depth-init", "rand", "--width-init",
                                                  "sel_noisy"] + WIDE),
]

# LLaMA: small models 2 x 32 with 4 heads of 8 (llama: 2 KV heads, tied
# head; llama-untied: 4 KV heads, lm_head); the large KV heads scale with
# the heads unless given. The head dimension stays (RoPE), so no
# grow_head_dim cases.
L_WIDE = ["--layers", "3", "--dim", "48", "--heads", "6", "--ffn", "144"]
L_DOUBLE = ["--layers", "4", "--dim", "64", "--heads", "8", "--ffn", "192"]
L_SMALL = {"llama": ["--heads", "4", "--kv-heads", "2", "--ffn", "96", "--rope-theta", "500"],
           "llama-untied": ["--heads", "4", "--ffn", "96", "--untied-head"]}
LLAMA_CASES = [
    ("ligo", ["--method", "ligo"] + L_WIDE),
    ("ligo-width", ["--method", "ligo-width"] + L_WIDE),
    ("ligo-depth", ["--method", "ligo-depth"] + L_WIDE),
    ("stack", ["--method", "stack"] + L_WIDE),
    ("interlace", ["--method", "interlace"] + L_DOUBLE),
    ("fpi", ["--method", "fpi"] + L_DOUBLE),
    ("fpi 1.5x", ["--method", "fpi"] + L_WIDE),
    ("aki", ["--method", "aki"] + L_WIDE),
    ("ligo full_width", ["--method", "ligo", "--full-width"] + L_WIDE),
    ("ligo width_first", ["--method", "ligo", "--width-first"] + L_WIDE),
    ("ligo residual", ["--method", "ligo", "--residual"] + L_WIDE),
    ("ligo kv heads given", ["--method", "ligo", "--kv-heads", "8"] + L_DOUBLE),
    ("ligo depth only", ["--method", "ligo", "--layers", "4"]),
]


def family_cases(fam, build, tmp, data, only):
    print("%s:" % fam)
    ligo = os.path.join(build, "ligo")
    small = os.path.join(tmp, fam + "_small.safetensors")
    ctx = [] if fam == "vit" else ["--ctx", "16"]
    llama = fam.startswith("llama")
    run([ligo, "train", "--family", fam.split("-")[0], "--data", data, "--layers", "2", "--dim", "32", "--batch",
         "4", "--steps", "4", "--warmup", "1", "--lr", "1e-2", "--eval-windows", "4", "--out", small, "--quiet",
         "--threads", "1"] + ctx + L_SMALL.get(fam, ["--heads", "2", "--ffn", "64"]))
    ops = {}
    for name, opts in LLAMA_CASES if llama else CASES:
        if only and name not in only:
            continue
        tag = "%s %s" % (fam, name)
        grown = os.path.join(tmp, "%s_%s.grown.safetensors" % (fam, name.replace(" ", "_")))
        op = os.path.join(tmp, "%s_%s.op.safetensors" % (fam, name.replace(" ", "_")))
        try:
            run([ligo, "grow", "--from", small, "--data", data, "--fit-steps", "3", "--fit-warmup", "1", "--batch",
                 "4", "--eval-windows", "4", "--out", grown, "--operator-out", op, "--quiet", "--threads", "1"] +
                ctx + opts)
            if not os.path.exists(op):
                check(tag, False, "ligo grow wrote no operator")
                continue
            e, where = compare(lgt.grow(small, op), grown)
            check(tag, e <= TOL, "max rel error %.2e (%s)" % (e, where))
            ops[name] = (op, grown)
        except Exception as ex:  # a crash is a failure with its reason
            check(tag, False, "%s: %s" % (type(ex).__name__, ex))
    # fixed methods without noise: no operator file, grow_fixed
    fixed = ((("stack", L_WIDE), ("interlace", L_DOUBLE), ("fpi", L_DOUBLE), ("aki", L_WIDE)) if llama else
             (("stack", WIDE), ("interlace", DOUBLE), ("fpi", DOUBLE), ("aki", WIDE), ("fpi", HEAD_DIM)))
    for method, sizes in fixed:
        name = "%s no noise%s (grow_fixed)" % (method, " grow_head_dim" if sizes is HEAD_DIM else "")
        if only and name not in only:
            continue
        tag = "%s %s" % (fam, name)
        grown = os.path.join(tmp, "%s_%s.fixed.safetensors" % (fam, method))
        op = os.path.join(tmp, "%s_%s.fixed_op.safetensors" % (fam, method))
        try:
            run([ligo, "grow", "--from", small, "--data", data, "--method", method, "--symmetry-noise", "0",
                 "--batch", "4", "--eval-windows", "4", "--out", grown, "--operator-out", op, "--quiet",
                 "--threads", "1"] + ctx + sizes)
            large = lt.Config.from_metadata(lt.read_safetensors(grown)[0])
            e, where = compare(lgt.grow_fixed(small, large, method, grow_head_dim=sizes is HEAD_DIM), grown)
            check(tag, e <= TOL and not os.path.exists(op), "max rel error %.2e (%s)%s" %
                  (e, where, ", but ligo wrote an operator" if os.path.exists(op) else ""))
        except Exception as ex:
            check(tag, False, "%s: %s" % (type(ex).__name__, ex))
    return small, ops


def refusals(small, ops, other_small, tmp):
    """Files the module must refuse, each with the problem named."""
    print("refused:")
    if "ligo" not in ops or "stack" not in ops:
        check("refusal cases have their operators", False)
        return
    op, _ = ops["ligo"]
    meta, t = lt.read_safetensors(op)

    def refused(name, meta2, t2, words, small_path=small):
        p = os.path.join(tmp, "bad_%s.safetensors" % name.replace(" ", "_"))
        lt.write_safetensors(p, t2, meta2)
        try:
            lgt.grow(small_path, p)
            check("refuses " + name, False, "accepted")
        except lt.FormatError as e:
            check("refuses " + name, all(w in str(e) for w in words), "(%s)" % e)

    refused("method scratch", dict(meta, **{"ligo.grow.method": "scratch"}), t, ["scratch", "not supported"])
    refused("an unknown method", dict(meta, **{"ligo.grow.method": "ligo-future"}), t, ["ligo-future"])
    refused("an unknown option", dict(meta, **{"ligo.grow.shared_heads": "1"}), t, ["ligo.grow.shared_heads"])
    refused("an option value", dict(meta, **{"ligo.grow.full_width": "2"}), t, ["ligo.grow.full_width"])
    refused("a definition of one's own", dict(meta, **{"ligo.model": "my_gpt"}), t, ["ligo.model", "my_gpt"])
    drop = dict(t)
    gone = sorted(drop)[0]
    del drop[gone]
    refused("a missing tensor", meta, drop, [gone])
    extra = dict(t)
    extra["width.h.9.q.C"] = t["width.emb.C"]
    refused("an extra tensor", meta, extra, ["width.h.9.q.C"])
    refused("the residual option without its tensors", dict(meta, **{"ligo.grow.residual": "1"}), t,
            ["residual."])
    refused("noise where ligo draws none", dict(meta, **{"ligo.grow.noise": "0.01"}), t, ["noise"])
    refused("another small model", meta, t, ["gpt", "bert"], small_path=other_small)
    smeta, st = lt.read_safetensors(ops["stack"][0])
    refused("stack without its noise", dict(smeta, **{"ligo.grow.noise": "0"}), st, ["noise."])
    try:
        lgt.grow_fixed(small, lt.Config.from_metadata(meta), "ligo")
        check("grow_fixed refuses a learned method", False, "accepted")
    except lt.FormatError as e:
        check("grow_fixed refuses a learned method", "ligo" in str(e), "(%s)" % e)
    fit = dict(meta, **{"ligo.fit.step": "3"})
    refused("a fitting state", fit, t, ["ligo.fit"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--families", default="gpt,bert,vit,llama,llama-untied")
    ap.add_argument("--cases", default="", help="comma-separated case names (all)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    only = set(c for c in args.cases.split(",") if c)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="ligo_grow_torch.") as tmp:
        images = make_images(tmp)
        text = os.path.join(ROOT, "README.md")
        smalls, gpt_ops = {}, None
        for fam in args.families.split(","):
            try:
                smalls[fam], ops = family_cases(fam, build, tmp, images if fam == "vit" else text, only)
                if fam == "gpt":
                    gpt_ops = ops
            except Exception as e:
                check("%s cases ran" % fam, False, "%s: %s" % (type(e).__name__, e))
        if gpt_ops is not None and "bert" in smalls:
            refusals(smalls["gpt"], gpt_ops, smalls["bert"], tmp)
    print("test-grow-torch: %d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
