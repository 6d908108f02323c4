#!/usr/bin/env python3
"""Fitting a LiGO operator in PyTorch, on one process or data-parallel
under torchrun (DistributedDataParallel: gloo on CPU, NCCL on GPUs), with
ligo's objective, optimizer and schedule (src/grow_fit.c; docs/design.md
section 4.5). The operator file it reads and writes is ligo's
(`ligo grow --operator-out`), so a fitting can start in ligo and continue
here, or the other way round, and `ligo grow --operator-in` grows the model
from what this writes.

    # the operator to start from, and (optionally) the batches ligo used
    ligo grow --from small.safetensors --data text.txt --fit-steps 0 \\
        --operator-out init.safetensors
    python3 tools/ligo_fit_torch.py --from small.safetensors \\
        --operator init.safetensors --data text.txt --steps 100 \\
        --out fitted.safetensors
    torchrun --nproc_per_node 2 tools/ligo_fit_torch.py ...   # the same, 2 processes
    ligo grow --from small.safetensors --data text.txt \\
        --operator-in fitted.safetensors --fit-steps 0 --out grown.safetensors

What is the same as ligo's fitting:
- the loss: the large model's mean cross-entropy over the global batch's
  targets (every next token for GPT, the masked positions for BERT, one
  label per image for ViT), through weights materialised from the operator
  at every step (ligo_grow_torch's materialisation, differentiable);
  across processes each one's sum is divided by the global count, so the
  gradient is the global batch's whatever the split;
- AdamW on the learned tensors only (width factors, depth coefficients,
  residual terms; symmetry noise stays fixed): beta 0.9 / 0.999, eps 1e-6,
  no weight decay, bias-corrected as ligo does;
- the rate: linear warm-up over `warmup` steps (half the steps when warmup
  is not below them), then constant; global-norm clipping at `clip`;
- a non-finite loss or gradient stops the fitting before any update,
  naming the step.

The batches: `--batches FILE` takes the ones `ligo grow --fit-batches-out`
recorded (the same data, so the two fittings agree to float rounding);
otherwise every process draws the same global batch from `--data` with a
generator of `--seed` (random training windows, BERT's masking, random
images, as tools/ligo_torch.py trains) and takes its rows of it: process r
of W gets rows [r B / W, (r + 1) B / W). The global batch B must be a
multiple of W.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ligo_torch as lt  # noqa: E402
import ligo_grow_torch as lgt  # noqa: E402

FormatError = lt.FormatError

try:  # torch >= 2.0
    from torch.func import functional_call as _functional_call
except ImportError:  # torch 1.13
    from torch.nn.utils.stateless import functional_call as _functional_call


class OperatorFit(nn.Module):
    """The operator's learned tensors as float32 parameters (ligo keeps
    them in float32), and the large model's summed loss through weights
    materialised from them in float64. The large model itself is kept
    outside the module's parameters: DistributedDataParallel sees only the
    operator."""

    def __init__(self, small_path, operator_path):
        super().__init__()
        meta, op, large, opt = lgt.read_operator(operator_path)
        got, build = lgt._plan(small_path, large, opt, op, operator_path)
        self.meta, self.large, self.opt = meta, large, opt
        self.names = [k for k in got if not k.startswith("noise.")]
        if not self.names:
            raise lgt.UnsupportedOperator("%s: method %s has nothing to fit (its operator holds only symmetry noise)"
                                          % (operator_path, opt["method"]))
        self.fixed = {k: v for k, v in got.items() if k.startswith("noise.")}
        self.learned = nn.ParameterList([nn.Parameter(got[k].to(torch.float32).clone()) for k in self.names])
        self._build = build
        self._model = (lt.build(large),)  # a tuple, so not a submodule

    def materialise(self):
        """{checkpoint name: float32 tensor}: the large model's weights, on
        the autograd tape of the learned parameters."""
        t = dict(self.fixed)
        for k, p in zip(self.names, self.learned):
            t[k] = p.double()
        return self._build(t)

    def forward(self, inputs, targets, count):
        """The cross-entropy summed over these rows' targets, divided by
        count (the global batch's number of targets)."""
        logits = _functional_call(self._model[0], self.materialise(), (inputs,))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1).long(),
                               ignore_index=lt.IGNORE, reduction="sum") / count

    def tensors(self):
        """The operator file's tensors: the learned ones as fitted, the
        noise as read."""
        out = {k: p.detach().clone() for k, p in zip(self.names, self.learned)}
        out.update({k: v.to(torch.float32) for k, v in self.fixed.items()})
        return out

    def save(self, path):
        lt.write_safetensors(path, self.tensors(), self.meta)


def recorded_batches(path, large, steps):
    """A source of global batches from `ligo grow --fit-batches-out`'s
    file, checked against the large model and the step count."""
    meta, t = lt.read_safetensors(path)
    fam = meta.get("ligo.batches.family")
    if fam is None:
        raise FormatError("%s: not a batches file (no ligo.batches.family; write one with ligo grow "
                          "--fit-batches-out)" % path)
    if fam != large.family:
        raise FormatError("%s: holds %s batches, the operator grows a %s model" % (path, fam, large.family))
    key = "images" if fam == "vit" else "inputs"
    if key not in t or "targets" not in t:
        raise FormatError("%s: a %s batches file needs tensors %s and targets" % (path, fam, key))
    x, y = t[key], t["targets"]
    if x.shape[0] < steps:
        raise FormatError("%s: holds %d steps, the fitting needs %d" % (path, x.shape[0], steps))
    if fam == "vit":
        if tuple(x.shape[2:]) != (large.image_h, large.image_w) or tuple(y.shape) != tuple(x.shape[:2]):
            raise FormatError("%s: images %s and labels %s do not fit %d x %d images" %
                              (path, list(x.shape), list(y.shape), large.image_h, large.image_w))
    else:
        if x.dim() != 3 or tuple(y.shape) != tuple(x.shape) or x.shape[2] > large.ctx_len:
            raise FormatError("%s: inputs %s and targets %s (want steps x batch x window, window <= %d)" %
                              (path, list(x.shape), list(y.shape), large.ctx_len))
        bad = (x < 0) | (x >= large.vocab) | (x != x.round())
        if bool(bad.any()):
            raise FormatError("%s: an input id is not an integer in [0, %d)" % (path, large.vocab))
        x = x.long()
    return lambda step: (x[step], y[step].long())


def sampled_batches(data, large, batch, ctx, seed):
    """A source of global batches drawn from the data with one generator,
    the same on every process."""
    g = torch.Generator().manual_seed(seed)
    if large.family == "vit":
        (px, lb), _ = lt.read_images(data)

        def draw(step):
            i = torch.randint(0, px.shape[0], (batch,), generator=g)
            return px[i], lb[i]
        return draw
    tokens = lt.read_text(data)
    T = ctx or large.ctx_len
    if T > large.ctx_len:
        raise ValueError("ctx %d is longer than the model's context %d" % (T, large.ctx_len))
    n_train = tokens.numel() - tokens.numel() // 10
    if n_train < T + 2:
        raise ValueError("%s: %d training tokens are too few for windows of %d" % (data, n_train, T))

    def draw(step):
        starts = torch.randint(0, n_train - T - 1, (batch,), generator=g)
        w = torch.stack([tokens[s:s + T + 1] for s in starts.tolist()])
        if large.family == "gpt":
            return w[:, :-1], w[:, 1:]
        return lt.mlm_mask(w[:, :-1], large.vocab - 1, 256, g)
    return draw


def rate(step, steps, lr, warmup):
    """ligo_schedule_lr for the fitting: warm-up, then constant (in float32
    as ligo computes it)."""
    wu = warmup if warmup < steps else steps // 2
    if wu > 0 and step < wu:
        return float(torch.tensor(lr, dtype=torch.float32) * torch.tensor(step + 1, dtype=torch.float32) /
                     torch.tensor(wu, dtype=torch.float32))
    return float(torch.tensor(lr, dtype=torch.float32))


def fit(small_path, operator_path, steps=100, lr=1e-3, warmup=10, clip=1.0, batches=None, data=None, batch=16,
        ctx=0, seed=1, log=None):
    """Fit the operator; returns the OperatorFit (its .save(path) writes the
    operator file). Under an initialised torch.distributed process group the
    fitting is data-parallel: every process must make the same call."""
    dist = torch.distributed.is_available() and torch.distributed.is_initialized()
    rank, world = (torch.distributed.get_rank(), torch.distributed.get_world_size()) if dist else (0, 1)
    for name, v, ok in (("steps", steps, steps >= 0), ("lr", lr, lr >= 0 and math.isfinite(lr)),
                        ("warmup", warmup, warmup >= 0), ("clip", clip, clip >= 0 and math.isfinite(clip)),
                        ("batch", batch, batch >= 1)):
        if not ok:
            raise ValueError("%s is %r" % (name, v))
    fitter = OperatorFit(small_path, operator_path)
    large = fitter.large
    if batches:
        source = recorded_batches(batches, large, steps)
    elif data:
        source = sampled_batches(data, large, batch, ctx, seed)
    else:
        raise ValueError("give the batches (a --fit-batches-out file) or the data to draw them from")
    module = nn.parallel.DistributedDataParallel(fitter) if dist else fitter
    opt = torch.optim.Adam(fitter.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
    params = list(fitter.parameters())
    for step in range(steps):
        x, y = source(step)
        B = x.shape[0]
        if B % world:
            raise ValueError("the global batch of %d does not split over %d processes" % (B, world))
        count = int((y != lt.IGNORE).sum())
        if count == 0:
            raise ValueError("fitting step %d: the batch has no targets" % (step + 1))
        lo, hi = rank * B // world, (rank + 1) * B // world
        # DDP averages the processes' gradients: scaled by W, each one's
        # sum over the global count adds up to the global batch's gradient
        loss = module(x[lo:hi], y[lo:hi], count) * world
        total = loss.detach() / world
        if dist:
            torch.distributed.all_reduce(total)
        if not math.isfinite(float(total)):
            raise FloatingPointError("fitting stopped at step %d: the loss is %g" % (step + 1, float(total)))
        opt.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(params, clip)) if clip > 0 else \
            float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params)))
        if not math.isfinite(norm):
            raise FloatingPointError("fitting stopped at step %d: the gradient is not finite" % (step + 1))
        for gr in opt.param_groups:
            gr["lr"] = rate(step, steps, lr, warmup)
        opt.step()
        if log:
            log(step + 1, float(total))
    return fitter


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fit a ligo operator in PyTorch (as `ligo grow` fits it); "
                                             "data-parallel under torchrun.")
    ap.add_argument("--from", dest="small", required=True, help="the small model's checkpoint")
    ap.add_argument("--operator", required=True, help="the operator to start from (ligo grow --operator-out)")
    ap.add_argument("--out", required=True, help="the fitted operator (read by ligo grow --operator-in)")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--batches", help="the batches ligo recorded (ligo grow --fit-batches-out)")
    src.add_argument("--data", help="text (GPT, BERT) or a Fashion-MNIST directory (ViT) to draw batches from")
    ap.add_argument("--steps", type=int, default=100, help="fitting steps (100)")
    ap.add_argument("--lr", type=float, default=1e-3, help="the operator's rate (1e-3)")
    ap.add_argument("--warmup", type=int, default=10, help="linear warm-up steps, then constant (10)")
    ap.add_argument("--clip", type=float, default=1.0, help="global-norm clipping (1.0; 0 = off)")
    ap.add_argument("--batch", type=int, default=16, help="the global batch with --data (16)")
    ap.add_argument("--ctx", type=int, default=0, help="the window with --data (0 = the model's context)")
    ap.add_argument("--seed", type=int, default=1, help="the batches' generator with --data (1)")
    ap.add_argument("--backend", default="", help="torch.distributed backend under torchrun "
                                                   "(gloo on CPU, nccl with GPUs: the default)")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    a = ap.parse_args(argv)
    dist = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    if dist:
        backend = a.backend or ("nccl" if torch.cuda.is_available() else "gloo")
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if dist else 0

    def log(step, loss):
        if not a.quiet and rank == 0:
            print("ligo_fit_torch: step %d/%d  loss %.6f" % (step, a.steps, loss), file=sys.stderr)
    try:
        fitter = fit(a.small, a.operator, a.steps, a.lr, a.warmup, a.clip, a.batches, a.data, a.batch, a.ctx,
                     a.seed, log)
    except (FormatError, ValueError, FloatingPointError) as e:
        print("ligo_fit_torch: %s" % e, file=sys.stderr)
        return 1
    if rank == 0:
        fitter.save(a.out)
        print('{"command":"fit-torch","ok":true,"family":"%s","method":"%s","steps":%d,"processes":%d,"out":"%s"}'
              % (fitter.large.family, fitter.opt["method"], a.steps,
                 torch.distributed.get_world_size() if dist else 1, a.out))
    if dist:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
