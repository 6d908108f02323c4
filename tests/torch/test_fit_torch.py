#!/usr/bin/env python3
"""tools/ligo_fit_torch.py against `ligo grow`'s fitting, on one process
and data-parallel (DistributedDataParallel, gloo on loopback).

    /usr/bin/python3 tests/torch/test_fit_torch.py --build build

For GPT, BERT, ViT and LLaMA (grouped KV heads): a tiny small model (`ligo train`, a few steps); the
operator ligo starts from (`ligo grow --fit-steps 0 --operator-out`); ligo's
own 20 fitting steps from that file with the batches recorded
(`--fit-batches-out`); then in PyTorch:
- 20 steps on one process from the same file and batches give ligo's
  operator to max|a - b| <= 1e-4 of the operator's RMS (the largest error
  printed, and the distance the fitting moved the operator, which must be
  far larger, so the check is not met by not moving);
- 2 processes (gloo on 127.0.0.1, the environment torchrun gives its
  workers: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) with the same global
  batch give the 1-process operator within the same bound (BERT: the two
  halves hold different numbers of masked targets, so the global
  normalisation is what makes them agree);
- `ligo grow --operator-in` on the 2-process file grows the model
  ligo_grow_torch materialises from it (1e-6 of each tensor's largest);
- options (residual terms; ligo-depth, whose copied width carries fixed
  symmetry noise), batches drawn from the data on 2 processes against 1,
  and refusals (nothing to fit, another family's batches, too few steps).
Where the PyTorch 2 environment of tools/torch2_env.sh exists, the 2-process
GPT fitting also runs under its `torchrun`. Debian's torchrun (PyTorch 1.13)
fails on Python 3.11 before starting a worker (its elastic agent's to_map
receives None), so the workers are started here with the same environment.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import ROOT, check, counts, make_images, run  # noqa: E402
import ligo_torch as lt  # noqa: E402
import ligo_grow_torch as lgt  # noqa: E402

TOL = 1e-4
FIT = os.path.join(ROOT, "tools", "ligo_fit_torch.py")
STEPS = 20
WIDE = ["--layers", "3", "--dim", "48", "--heads", "3", "--ffn", "96"]
# LLaMA: 4 heads of 8 with 2 KV heads in the small model (grouped), 6 heads
# (3 KV heads) in the large one
L_SMALL = ["--heads", "4", "--kv-heads", "2", "--ffn", "96", "--rope-theta", "500"]
L_WIDE = ["--layers", "3", "--dim", "48", "--heads", "6", "--ffn", "144"]


def op_error(a_path, b_path):
    """(max|a - b| over the learned tensors / RMS of b's, RMS of b's)."""
    _, a = lt.read_safetensors(a_path)
    _, b = lt.read_safetensors(b_path)
    if set(a) != set(b):
        return float("inf"), 0.0
    learned = [k for k in b if not k.startswith("noise.")]
    n = sum(b[k].numel() for k in learned)
    rms = float(torch.sqrt(sum((b[k].double() ** 2).sum() for k in learned) / n))
    worst = max(float((a[k].double() - b[k].double()).abs().max()) for k in a)  # noise included: must be equal
    return worst / rms, rms


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(n, args, python=sys.executable):
    """n worker processes of ligo_fit_torch.py with torchrun's environment;
    rank 0's stdout."""
    port = str(free_port())
    procs = []
    for r in range(n):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=port, RANK=str(r), LOCAL_RANK=str(r),
                   WORLD_SIZE=str(n), LOCAL_WORLD_SIZE=str(n), OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen([python, FIT] + args + ["--backend", "gloo", "--quiet"], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True))
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (o, e) in zip(procs, outs):
        if p.returncode != 0:
            raise RuntimeError("worker failed (%d): %s" % (p.returncode, e.strip()[-1500:]))
    return outs[0][0]


def torch2_python():
    try:
        p = subprocess.run(["bash", os.path.join(ROOT, "tools", "torch2_env.sh"), "--print-python",
                            os.path.join(ROOT, "tools", "requirements-torch2.txt")], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, universal_newlines=True)
        py = p.stdout.strip()
        return py if py and os.path.exists(py) else None
    except OSError:
        return None


def compare_grown(mine, ref_path):
    _, ref = lt.read_safetensors(ref_path)
    ref = {k: v for k, v in ref.items() if not k.startswith("ligo.")}
    if set(mine) != set(ref):
        return float("inf")
    return max(float((mine[k].double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30))
               for k, b in ref.items())


def family(fam, ligo, data, tmp, py2):
    print("%s:" % fam)
    P = lambda name: os.path.join(tmp, "%s_%s.safetensors" % (fam, name))  # noqa: E731
    ctx = [] if fam == "vit" else ["--ctx", "16"]
    common = ["--data", data, "--batch", "4", "--eval-windows", "4", "--quiet", "--threads", "1"] + ctx
    small_sizes, WIDE_ = (L_SMALL, L_WIDE) if fam == "llama" else (["--heads", "2", "--ffn", "64"], WIDE)
    run([ligo, "train", "--family", fam, "--layers", "2", "--dim", "32", "--steps", "4", "--warmup", "1", "--lr",
         "1e-2", "--out", P("small")] + small_sizes + common)

    def ligo_fit(name, opts):
        """ligo's start and its 20 steps from it, the batches recorded."""
        run([ligo, "grow", "--from", P("small"), "--fit-steps", "0", "--out", P(name + "_g0"), "--operator-out",
             P(name + "_init")] + common + WIDE_ + opts)
        run([ligo, "grow", "--from", P("small"), "--operator-in", P(name + "_init"), "--fit-steps", str(STEPS),
             "--fit-warmup", "5", "--out", P(name + "_g1"), "--operator-out", P(name + "_ligo"), "--fit-batches-out",
             P(name + "_batches")] + common + WIDE_ + opts)
        return ["--from", P("small"), "--operator", P(name + "_init"), "--batches", P(name + "_batches"), "--steps",
                str(STEPS), "--warmup", "5"]

    cases = [("ligo", ["--method", "ligo"])]
    if fam == "gpt":
        cases += [("ligo residual", ["--method", "ligo", "--residual"]),
                  ("ligo-depth with noise", ["--method", "ligo-depth"]),
                  ("ligo-width full_width", ["--method", "ligo-width", "--full-width"])]
    for name, opts in cases:
        tag = name.replace(" ", "_")
        try:
            args = ligo_fit(tag, opts)
            run([sys.executable, FIT] + args + ["--out", P(tag + "_torch"), "--quiet"])
            e, rms = op_error(P(tag + "_torch"), P(tag + "_ligo"))
            moved, _ = op_error(P(tag + "_init"), P(tag + "_ligo"))
            check("%s %s: 1 process = ligo's fitting" % (fam, name), e <= TOL and moved > 100 * TOL,
                  "max|a - b| %.2e of the RMS %.3g (the fitting moved it %.2e)" % (e, rms, moved))
            if name != "ligo":
                continue
            launch(2, args + ["--out", P(tag + "_ddp")])
            e, _ = op_error(P(tag + "_ddp"), P(tag + "_torch"))
            check("%s %s: 2 processes (gloo) = 1 process" % (fam, name), e <= TOL, "max|a - b| %.2e of the RMS" % e)
            e, _ = op_error(P(tag + "_ddp"), P(tag + "_ligo"))
            check("%s %s: 2 processes = ligo's fitting" % (fam, name), e <= TOL, "max|a - b| %.2e of the RMS" % e)
            run([ligo, "grow", "--from", P("small"), "--operator-in", P(tag + "_ddp"), "--fit-steps", "0", "--out",
                 P(tag + "_gddp")] + common + WIDE_ + opts)
            e = compare_grown(lgt.grow(P("small"), P(tag + "_ddp")), P(tag + "_gddp"))
            check("%s %s: ligo grow --operator-in grows the PyTorch fit" % (fam, name), e <= 1e-6,
                  "max rel error %.2e" % e)
            if fam == "gpt" and py2:
                r = subprocess.run([py2, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", FIT]
                                   + args + ["--out", P(tag + "_torchrun"), "--backend", "gloo", "--quiet"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                   env=dict(os.environ, OMP_NUM_THREADS="1"))
                e = op_error(P(tag + "_torchrun"), P(tag + "_torch"))[0] if r.returncode == 0 else float("inf")
                check("%s %s: torchrun (PyTorch 2) 2 processes = 1 process" % (fam, name), e <= TOL,
                      "max|a - b| %.2e of the RMS%s" % (e, "" if r.returncode == 0 else ": " + r.stderr[-800:]))
        except Exception as ex:
            check("%s %s" % (fam, name), False, "%s: %s" % (type(ex).__name__, ex))
    return P


def sampled(ligo, text, P, tmp):
    """Batches drawn from the data: 2 processes against 1 (GPT and BERT
    windows; BERT's masks from the same generator)."""
    print("batches drawn from the data:")
    for fam in ("gpt", "bert"):
        args = ["--from", P[fam]("small"), "--operator", P[fam]("ligo_init"), "--data", text, "--steps", "8",
                "--batch", "4", "--ctx", "16", "--seed", "3"]
        try:
            run([sys.executable, FIT] + args + ["--out", P[fam]("drawn1"), "--quiet"])
            launch(2, args + ["--out", P[fam]("drawn2")])
            e, _ = op_error(P[fam]("drawn2"), P[fam]("drawn1"))
            moved, _ = op_error(P[fam]("ligo_init"), P[fam]("drawn1"))
            check("%s drawn batches: 2 processes = 1 process" % fam, e <= TOL and moved > 100 * TOL,
                  "max|a - b| %.2e of the RMS (moved %.2e)" % (e, moved))
        except Exception as ex:
            check("%s drawn batches" % fam, False, "%s: %s" % (type(ex).__name__, ex))


def refusals(ligo, text, P, tmp):
    print("refused:")

    def refused(name, args, words):
        r = subprocess.run([sys.executable, FIT] + args + ["--out", os.path.join(tmp, "refused.safetensors"),
                                                           "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        ok = r.returncode != 0 and all(w in r.stderr for w in words) and "Traceback" not in r.stderr
        check("refuses %s" % name, ok, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "(no message)")

    g = P["gpt"]
    run([ligo, "grow", "--from", g("small"), "--data", text, "--method", "stack", "--batch", "4", "--ctx", "16",
         "--eval-windows", "4", "--out", g("stack_g"), "--operator-out", g("stack_op"), "--quiet", "--threads",
         "1"] + WIDE)
    refused("an operator with nothing to fit", ["--from", g("small"), "--operator", g("stack_op"), "--data", text],
            ["nothing to fit", "stack"])
    refused("another family's batches", ["--from", g("small"), "--operator", g("ligo_init"), "--batches",
                                         P["bert"]("ligo_batches"), "--steps", "2"], ["bert batches", "gpt"])
    refused("more steps than recorded", ["--from", g("small"), "--operator", g("ligo_init"), "--batches",
                                         g("ligo_batches"), "--steps", str(STEPS + 1)],
            ["holds %d steps" % STEPS, "needs %d" % (STEPS + 1)])
    refused("a checkpoint as the batches", ["--from", g("small"), "--operator", g("ligo_init"), "--batches",
                                            g("small"), "--steps", "2"], ["not a batches file"])
    r = subprocess.run([ligo, "grow", "--from", g("small"), "--data", text, "--method", "stack", "--ctx", "16",
                        "--fit-batches-out", os.path.join(tmp, "x.safetensors"), "--quiet"] + WIDE,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check("ligo grow refuses --fit-batches-out where nothing is fitted", r.returncode != 0 and
          "fits nothing" in r.stderr and not os.path.exists(os.path.join(tmp, "x.safetensors")),
          r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--text", default=os.path.join(ROOT, "README.md"))
    a = ap.parse_args()
    ligo = os.path.join(a.build, "ligo")
    py2 = torch2_python()
    print("test-fit-torch: torch %s; torchrun of PyTorch 2: %s" % (torch.__version__, py2 or "absent"))
    with tempfile.TemporaryDirectory(prefix="ligo_fit_torch.") as tmp:
        images = make_images(tmp)
        P = {}
        for fam in ("gpt", "bert", "vit", "llama"):
            P[fam] = family(fam, ligo, images if fam == "vit" else a.text, tmp, py2)
        sampled(ligo, a.text, P, tmp)
        refusals(ligo, a.text, P, tmp)
    print("test-fit-torch: %d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
