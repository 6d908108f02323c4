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
only, lr 3e-4). Eager mode, float32.

  torch_gpt.py --config M --threads 1 [--steps 20] [--warmup 3]
      times the step; the last line is one JSON object with tokens_per_s
      (B*T over the median step time) and peak_mb (peak resident memory
      above what the process held once torch was imported).
  torch_gpt.py --check FILE --config S
      loads ligo's weights and a batch from FILE (safetensors written by
      train_speed --check) and prints the loss before and after one step.
"""
import argparse
import json
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
    opt.zero_grad(set_to_none=False)
    loss = model(idx, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()
    return loss.item()


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1024.0 * 1024.0)


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


def check(path, cfg):
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
    loss0 = step(model, opt, idx, targets)
    loss1 = step(model, opt, idx, targets)
    print(json.dumps({"loss0": loss0, "loss1": loss1}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="M", choices=sorted(CONFIGS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--check")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = CONFIGS[args.config]
    if args.check:
        check(args.check, cfg)
        return
    base = rss_mb()
    model = GPT(cfg["layers"], cfg["width"], cfg["heads"], cfg["T"])
    opt = make_optimizer(model)
    g = torch.Generator().manual_seed(7)
    n = cfg["B"] * cfg["T"]
    ids = torch.randint(0, VOCAB, (n,), generator=g)
    idx = ids.view(cfg["B"], cfg["T"])
    targets = torch.roll(ids, -1).view(cfg["B"], cfg["T"])
    for _ in range(args.warmup):
        step(model, opt, idx, targets)
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step(model, opt, idx, targets)
        times.append(time.perf_counter() - t0)
    times.sort()
    k = len(times)
    med = times[k // 2] if k % 2 else 0.5 * (times[k // 2 - 1] + times[k // 2])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 - base
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"config": args.config, "threads": torch.get_num_threads(), "params": params,
                      "step_ms": med * 1e3, "tokens_per_s": n / med, "peak_mb": peak,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    sys.exit(main())
