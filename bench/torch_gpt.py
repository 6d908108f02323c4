#!/usr/bin/python3
"""bench/torch_gpt.py: ligo's GPT in plain PyTorch, for bench/train_speed.c.

The same model as ligo's GPT family: byte vocabulary (256), learned
positions, pre-LN blocks (LayerNorm eps 1e-5, fused qkv linear, causal
softmax attention, output projection, 4x MLP with tanh GELU), final
LayerNorm, LM head tied to the token embedding, mean cross-entropy.
Same init scheme (GPT-2's: N(0, 0.02) weights and embeddings, residual
projections N(0, 0.02 / sqrt(2 L)), zero biases, unit LN gains), same
step (zero grads, forward, backward, clip global norm to 1, AdamW with
betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on the linear weights
only, lr 3e-4). Float32, eager, or with --compile the model (forward
and, through AOTAutograd, backward) compiled by torch.compile's default
backend (inductor, which builds C++ kernels with the system's g++); the
optimizer step and clipping stay eager in both. Runs under Debian's
PyTorch 1.13 (/usr/bin/python3; eager only) and PyTorch 2 from PyPI
(make torch2-env; make print-torch2-python names its python).

  torch_gpt.py --config M --threads 1 [--steps 20] [--warmup 3] [--compile]
      times the step; the last line is one JSON object with tokens_per_s
      (B*T over the median step time) and peak_mb: the peak resident memory
      during the timed steps (the kernel's high-water mark, reset after the
      warm-up, which for --compile holds the compilation) above what the
      process held once torch was imported and had run two steps of a
      throwaway 1-layer, 8-wide model (with --compile, also imported
      torch.compile's modules), so that the code PyTorch loads at its first
      step is not counted: PyTorch 2's first optimizer step alone imports
      about 170 MB of it (torch._dynamo and what it pulls in), 1.13's
      about 14 MB. peak_mb_from_import is the same peak above the RSS right
      after the import. The thread settings come from
      the caller: --threads is torch.set_num_threads, OMP_NUM_THREADS,
      MKL_NUM_THREADS and OMP_WAIT_POLICY are the environment's (echoed in
      the JSON).
  torch_gpt.py --check FILE --config S [--compile]
      loads ligo's weights and a batch from FILE (safetensors written by
      train_speed --check) and prints the loss before and after one step.
"""
import os
import argparse
import importlib
import json
import logging
import math
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

CONFIGS = {
    "S": dict(layers=2, width=64, heads=2, T=64, B=16),
    "M": dict(layers=4, width=128, heads=4, T=128, B=16),
    "L": dict(layers=6, width=256, heads=8, T=128, B=16),
    "XL": dict(layers=8, width=384, heads=6, T=256, B=8),
}
VOCAB = 256
LR = 3e-4
CLIP = 1.0


class Block(torch.nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.ln_1 = torch.nn.LayerNorm(C, eps=1e-5)
        self.c_attn = torch.nn.Linear(C, 3 * C)
        self.c_proj = torch.nn.Linear(C, C)
        self.ln_2 = torch.nn.LayerNorm(C, eps=1e-5)
        self.c_fc = torch.nn.Linear(C, 4 * C)
        self.mlp_proj = torch.nn.Linear(4 * C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        hs = C // self.NH
        qkv = self.c_attn(self.ln_1(x))
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, self.NH, hs).transpose(1, 2)
        k = k.view(B, T, self.NH, hs).transpose(1, 2)
        v = v.view(B, T, self.NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x


class GPT(torch.nn.Module):
    def __init__(self, layers, width, heads, T):
        super().__init__()
        self.wte = torch.nn.Embedding(VOCAB, width)
        self.wpe = torch.nn.Embedding(T, width)
        self.h = torch.nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(width, eps=1e-5)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1))
        std_res = 0.02 / math.sqrt(2 * layers)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = std_res if name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight") else 0.02
                torch.nn.init.normal_(p, 0.0, std)
            elif name.endswith("weight") and "ln" in name:
                torch.nn.init.ones_(p)
            else:
                torch.nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for blk in self.h:
            x = blk(x, self.mask)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))


def make_optimizer(model):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() == 2 and not name.startswith(("wte", "wpe")) else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=LR, betas=(0.9, 0.95), eps=1e-8)


def step(model, opt, idx, targets):
    """model may be the torch.compile wrapper of the module opt updates."""
    opt.zero_grad(set_to_none=False)
    loss = model(idx, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()
    return loss.item()


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1024.0 * 1024.0)


def reset_peak():
    """Resets the kernel's peak-RSS mark (VmHWM) to the current RSS; False
    where /proc/self/clear_refs does not take it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def compiled(model, on):
    if not on:
        return model
    # "No CUDA runtime is found" on every machine without a GPU: not news
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    if not hasattr(torch, "compile"):
        raise SystemExit("torch_gpt.py: --compile needs PyTorch 2 (this is %s)" % torch.__version__)
    return torch.compile(model)


def read_safetensors(path):
    """A plain reader: 8-byte little-endian header length, JSON, F32 data."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    data = buf[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        a, b = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32)
        out[name] = t.reshape(e["shape"])
    return out


# ligo's table names to this module's
def ligo_name(name):
    name = name.replace("attn.c_attn.", "c_attn.").replace("attn.c_proj.", "c_proj.")
    name = name.replace("mlp.c_fc.", "c_fc.").replace("mlp.c_proj.", "mlp_proj.")
    return name


def check(path, cfg, compile_):
    tensors = read_safetensors(path)
    model = GPT(cfg["layers"], cfg["width"], cfg["heads"], cfg["T"])
    state = model.state_dict()
    loaded = 0
    for name, t in tensors.items():
        if name.startswith("batch."):
            continue
        key = ligo_name(name)
        assert key in state and state[key].shape == t.shape, (name, key)
        state[key].copy_(t)
        loaded += 1
    assert loaded == sum(1 for _ in model.parameters()), "not every parameter came from the file"
    idx = tensors["batch.inputs"].long()
    targets = tensors["batch.targets"].long()
    opt = make_optimizer(model)
    run = compiled(model, compile_)
    loss0 = step(run, opt, idx, targets)
    loss1 = step(run, opt, idx, targets)
    print(json.dumps({"loss0": loss0, "loss1": loss1, "torch": torch.__version__, "compiled": compile_}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="M", choices=sorted(CONFIGS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--check")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = CONFIGS[args.config]
    if args.check:
        check(args.check, cfg, args.compile)
        return
    at_import = rss_mb()
    # the code PyTorch loads lazily at its first step (and torch.compile's
    # modules) before the base of the memory figure
    tiny = GPT(1, 8, 1, 4)
    t_opt = make_optimizer(tiny)
    t_ids = torch.zeros(1, 4, dtype=torch.long)
    for _ in range(2):
        step(tiny, t_opt, t_ids, t_ids)
    del tiny, t_opt
    if args.compile:
        importlib.import_module("torch._dynamo")
        importlib.import_module("torch._inductor.compile_fx")
    torch.manual_seed(1)
    base = rss_mb()
    model = GPT(cfg["layers"], cfg["width"], cfg["heads"], cfg["T"])
    opt = make_optimizer(model)
    run = compiled(model, args.compile)
    g = torch.Generator().manual_seed(7)
    n = cfg["B"] * cfg["T"]
    ids = torch.randint(0, VOCAB, (n,), generator=g)
    idx = ids.view(cfg["B"], cfg["T"])
    targets = torch.roll(ids, -1).view(cfg["B"], cfg["T"])
    t0 = time.perf_counter()
    for _ in range(max(args.warmup, 1 if args.compile else 0)):
        step(run, opt, idx, targets)
    warm_s = time.perf_counter() - t0
    hwm_reset = reset_peak()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step(run, opt, idx, targets)
        times.append(time.perf_counter() - t0)
    times.sort()
    k = len(times)
    med = times[k // 2] if k % 2 else 0.5 * (times[k // 2 - 1] + times[k // 2])
    hwm = peak_rss_mb()
    peak = hwm - base
    params = sum(p.numel() for p in model.parameters())
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")}
    print(json.dumps({"config": args.config, "threads": torch.get_num_threads(), "params": params,
                      "step_ms": med * 1e3, "tokens_per_s": n / med, "peak_mb": peak, "peak_mb_from_import": hwm - at_import,
                      "peak_over": "timed steps" if hwm_reset else "whole run", "warmup_s": warm_s,
                      "compiled": args.compile, "env": env, "torch": torch.__version__}))


if __name__ == "__main__":
    sys.exit(main())
