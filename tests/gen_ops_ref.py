#!/usr/bin/env python3
"""Reference fixtures for the primitives, computed by PyTorch.

    /usr/bin/python3 tests/gen_ops_ref.py     (Debian: apt-get install python3-torch)

writes tests/ref/ops.safetensors, which tests/test_prims.c
(test_ops_against_torch) reads; the test never runs this script. For each
case below it draws small inputs, rounds them to float32 (so that ligo
computes on exactly the values PyTorch saw), computes the op in float64
with PyTorch's own functions, and the gradients of sum(out * W) for a
fixed random W with respect to every differentiable input. Tensors, for
case CASE:

    CASE.in.K     input K (F32)
    CASE.w        W, the output's shape
    CASE.out      the output
    CASE.grad.K   d sum(out * W) / d input K, for the inputs that get one

__metadata__ holds "cases" (the case names, comma-separated), and per case
"CASE.op" (the ligo op it exercises) and the op's arguments ("CASE.eps",
"CASE.n_head", "CASE.perm" = "0,2,1,3", ...). The references follow
PyTorch or Hugging Face, written independently of the C code: softmax,
relu, tanh, exp, log, sqrt, add / mul / div with broadcasting, torch.matmul
(batched, transposes), permute, RMSNorm in torch ops (x * rsqrt(mean(x^2)
+ eps) * w), RoPE in Hugging Face LLaMA's rotate_half form, and attention
with an additive mask written out (torch 1.13 has no
scaled_dot_product_attention); SiLU, LLaMA's SwiGLU MLP and its
grouped-query attention (KV heads repeated by repeat_interleave). The same
torch version writes the same bytes.
"""
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no tests/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_ref import write_safetensors  # noqa: E402  (the writer of tests/ref/)

DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref", "ops.safetensors")


def f32(t):
    """t rounded to float32, kept in float64."""
    return t.to(torch.float32).to(DT)


def uniform(shape, lo, hi):
    return f32(lo + (hi - lo) * torch.rand(shape, dtype=DT))


def signed(shape, lo, hi):
    """|x| in [lo, hi), either sign: a divisor away from zero."""
    sign = torch.where(torch.rand(shape, dtype=DT) < 0.5, -1.0, 1.0)
    return f32(sign * (lo + (hi - lo) * torch.rand(shape, dtype=DT)))


def normal(shape):
    return f32(torch.randn(shape, dtype=DT))


def op_t(x, t):
    return x.transpose(-1, -2) if t else x


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    """Hugging Face LLaMA's: (x1, x2) -> (-x2, x1) over the head's halves."""
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope(x, n_head, base, pos0):
    """apply_rotary_pos_emb on (B, NH, T, hs) heads of x (B, T, C)."""
    B, T, C = x.shape
    hs = C // n_head
    inv_freq = 1.0 / (base ** (torch.arange(0, hs, 2, dtype=DT) / hs))
    freqs = torch.outer(torch.arange(pos0, pos0 + T, dtype=DT), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # (T, hs)
    q = x.view(B, T, n_head, hs).transpose(1, 2)
    y = q * emb.cos() + rotate_half(q) * emb.sin()
    return y.transpose(1, 2).reshape(B, T, C)


def attention_mask(q, k, v, mask, n_head):
    """softmax(Q K^T / sqrt(hs) + mask) V per head."""
    B, Tq, C = q.shape
    Tk, hs = k.shape[1], C // n_head
    heads = lambda x, T: x.view(B, T, n_head, hs).transpose(1, 2)
    s = heads(q, Tq) @ heads(k, Tk).transpose(-2, -1) / math.sqrt(hs)
    if mask is not None:
        s = s + mask
    p = torch.softmax(s, dim=-1)
    return (p @ heads(v, Tk)).transpose(1, 2).reshape(B, Tq, C)


def swiglu(x, wg, wu, wd):
    """LlamaMLP: down_proj(silu(gate_proj(x)) * up_proj(x)), no biases."""
    f = torch.nn.functional
    return f.linear(f.silu(f.linear(x, wg)) * f.linear(x, wu), wd)


def attention_grouped(q, k, v, n_head, n_kv_head, is_causal):
    """Hugging Face LLaMA's grouped-query attention: each KV head repeated
    for its n_head / n_kv_head query heads (repeat_kv), then per head
    softmax(Q K^T / sqrt(hs) + mask) V."""
    B, T, C = q.shape
    hs = C // n_head
    kv = lambda x: x.view(B, T, n_kv_head, hs).transpose(1, 2).repeat_interleave(n_head // n_kv_head, dim=1)
    s = q.view(B, T, n_head, hs).transpose(1, 2) @ kv(k).transpose(-2, -1) / math.sqrt(hs)
    if is_causal:
        s = s + causal(T)
    return (torch.softmax(s, dim=-1) @ kv(v)).transpose(1, 2).reshape(B, T, C)


def causal(T):
    m = torch.zeros(T, T, dtype=DT)
    return m.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))


EPS = float(np.float32(1e-5))  # ligo's eps is a float


def cases():
    """(name, op, inputs, which get gradients, args, function of the inputs)."""
    c = []
    add = lambda name, op, ins, f, args=None, grads=None: c.append(
        (name, op, ins, grads if grads is not None else list(range(len(ins))), args or {}, f))
    add("softmax", "softmax", [uniform((3, 4, 7), -3, 3)], lambda x: torch.softmax(x, dim=-1))
    add("relu", "relu", [normal((4, 9))], torch.relu)
    add("tanh", "tanh", [uniform((4, 9), -3, 3)], torch.tanh)
    add("exp", "exp", [uniform((4, 9), -2, 2)], torch.exp)
    add("log", "log", [uniform((4, 9), 0.2, 3)], torch.log)
    add("sqrt", "sqrt", [uniform((4, 9), 0.2, 3)], torch.sqrt)
    add("div_tc", "div", [normal((2, 3, 4)), signed((3, 4), 0.5, 2)], torch.div)
    add("div_1tc", "div", [normal((2, 3, 4)), signed((1, 3, 4), 0.5, 2)], torch.div)
    add("div_row", "div", [normal((2, 3, 4)), signed((4,), 0.5, 2)], torch.div)
    add("div_scalar", "div", [normal((2, 3, 4)), signed((1,), 0.5, 2)], torch.div)
    add("add_tc", "add", [normal((2, 3, 4)), normal((3, 4))], torch.add)
    add("mul_1tc", "mul", [normal((2, 3, 4)), normal((1, 3, 4))], torch.mul)
    add("rmsnorm", "rmsnorm", [normal((2, 5, 8)), uniform((8,), 0.5, 1.5)], lambda x, w: rmsnorm(x, w, EPS),
        {"eps": repr(EPS)})
    for ta in (0, 1):
        for tb in (0, 1):
            a = normal((2, 4, 3) if ta else (2, 3, 4))
            b = normal((2, 5, 4) if tb else (2, 4, 5))
            add("bmm_%d%d" % (ta, tb), "bmm", [a, b], lambda a, b, ta=ta, tb=tb: op_t(a, ta) @ op_t(b, tb),
                {"ta": str(ta), "tb": str(tb)})
    add("bmm_4d", "bmm", [normal((2, 3, 5, 4)), normal((2, 3, 6, 4))], lambda a, b: a @ b.transpose(-1, -2),
        {"ta": "0", "tb": "1"})
    add("matmul_10", "matmul", [normal((4, 3)), normal((4, 5))], lambda a, b: a.t() @ b, {"ta": "1", "tb": "0"})
    for name, shape, perm in (("permute_0213", (2, 3, 4, 5), (0, 2, 1, 3)), ("permute_3102", (2, 3, 4, 5), (3, 1, 0, 2)),
                              ("permute_201", (2, 3, 4), (2, 0, 1))):
        add(name, "permute", [normal(shape)], lambda x, perm=perm: x.permute(perm).contiguous(),
            {"perm": ",".join(map(str, perm))})
    add("rope", "rope", [normal((2, 6, 16))], lambda x: rope(x, 2, 10000.0, 0),
        {"n_head": "2", "base": "10000", "pos0": "0"})
    add("rope_pos5", "rope", [normal((1, 4, 16))], lambda x: rope(x, 4, 500.0, 5),
        {"n_head": "4", "base": "500", "pos0": "5"})
    q, k, v = (uniform((2, 5, 8), -1.5, 1.5) for _ in range(3))
    add("attention_causal", "attention_mask", [q, k, v, causal(5)], lambda q, k, v, m: attention_mask(q, k, v, m, 2),
        {"n_head": "2"}, grads=[0, 1, 2])
    q, k, v = uniform((2, 3, 8), -1.5, 1.5), uniform((2, 6, 8), -1.5, 1.5), uniform((2, 6, 8), -1.5, 1.5)
    add("attention_bias", "attention_mask", [q, k, v, uniform((3, 6), -1, 1)],
        lambda q, k, v, m: attention_mask(q, k, v, m, 2), {"n_head": "2"})
    q, k, v = (uniform((1, 4, 6), -1.5, 1.5) for _ in range(3))
    add("attention_none", "attention_mask", [q, k, v], lambda q, k, v: attention_mask(q, k, v, None, 3),
        {"n_head": "3"})
    # the LLaMA family's pieces (src/llama.c), appended so that the cases
    # above keep their draws: SiLU, SwiGLU and grouped-query attention
    add("silu", "silu", [uniform((4, 9), -4, 4)], torch.nn.functional.silu)
    add("swiglu", "swiglu", [normal((2, 5, 8)), uniform((12, 8), -0.5, 0.5), uniform((12, 8), -0.5, 0.5),
                             uniform((8, 12), -0.5, 0.5)], swiglu)
    q, k, v = uniform((2, 5, 16), -1.5, 1.5), uniform((2, 5, 8), -1.5, 1.5), uniform((2, 5, 8), -1.5, 1.5)
    add("attention_grouped_causal", "attention_grouped", [q, k, v],
        lambda q, k, v: attention_grouped(q, k, v, 4, 2, True), {"n_head": "4", "n_kv_head": "2", "causal": "1"})
    q, k, v = uniform((1, 4, 12), -1.5, 1.5), uniform((1, 4, 4), -1.5, 1.5), uniform((1, 4, 4), -1.5, 1.5)
    add("attention_grouped_mqa", "attention_grouped", [q, k, v],
        lambda q, k, v: attention_grouped(q, k, v, 3, 1, False), {"n_head": "3", "n_kv_head": "1", "causal": "0"})
    return c


def main():
    torch.manual_seed(20261201)
    tensors, meta, names = [], {}, []
    for name, op, ins, grads, args, f in cases():
        xs = [x.clone().requires_grad_(i in grads) for i, x in enumerate(ins)]
        out = f(*xs)
        w = uniform(tuple(out.shape), -1, 1)
        (out * w).sum().backward()
        names.append(name)
        meta[name + ".op"] = op
        for key, value in args.items():
            meta[name + "." + key] = value
        for i, x in enumerate(xs):
            tensors.append(("%s.in.%d" % (name, i), x.detach()))
        tensors += [(name + ".w", w), (name + ".out", out.detach())]
        for i in grads:
            tensors.append(("%s.grad.%d" % (name, i), xs[i].grad))
    meta["cases"] = ",".join(names)
    meta["torch"] = torch.__version__
    write_safetensors(OUT, tensors, meta)
    print("wrote %s: %d cases, %d tensors" % (os.path.relpath(OUT), len(names), len(tensors)))


if __name__ == "__main__":
    main()
