#!/usr/bin/env python3
"""Reference fixtures for the model tests, computed by PyTorch.

    /usr/bin/python3 tests/gen_ref.py        (Debian: apt-get install python3-torch)

For a tiny GPT, BERT and ViT it draws weights, a batch, runs the forward
pass and backward in float64, and writes tests/ref/{gpt,bert,vit}.safetensors
holding every parameter ("param.NAME"), the batch ("inputs", "targets",
"images", ids stored as F32), the loss ("loss") and every parameter's
gradient ("grad.NAME"), with the config in __metadata__. Parameter names and
layouts are ligo's internal ones (linear weights (out, in), Q, K, V stacked).
The models below are written from the papers' definitions, independently of
the C code: GPT-2 (pre-LN, tanh GELU, tied head), BERT/RoBERTa (post-LN,
MLM head tied to the embedding), ViT (pre-LN, class token, final LN).
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

torch.manual_seed(20231)
DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")


def write_safetensors(path, tensors, meta):
    header = {"__metadata__": meta}
    blobs, off = [], 0
    for name, t in tensors:
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes() if hasattr(t, "numpy") else t
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def table(fam, cfg):
    """(name, shape) in ligo's table order."""
    C, Fd, L = cfg["d_model"], cfg["d_ff"], cfg["n_layer"]
    t = []
    if fam == "vit":
        P = cfg["patch"]
        t += [("patch.weight", (C, P * P)), ("patch.bias", (C,)), ("cls_token", (1, C)),
              ("wpe.weight", (cfg["ctx_len"], C))]
    else:
        t += [("wte.weight", (cfg["vocab"], C)), ("wpe.weight", (cfg["ctx_len"], C))]
        if fam == "bert":
            t += [("emb_ln.weight", (C,)), ("emb_ln.bias", (C,))]
    for i in range(L):
        p = "h.%d." % i
        t += [(p + "ln_1.weight", (C,)), (p + "ln_1.bias", (C,)),
              (p + "attn.c_attn.weight", (3 * C, C)), (p + "attn.c_attn.bias", (3 * C,)),
              (p + "attn.c_proj.weight", (C, C)), (p + "attn.c_proj.bias", (C,)),
              (p + "ln_2.weight", (C,)), (p + "ln_2.bias", (C,)),
              (p + "mlp.c_fc.weight", (Fd, C)), (p + "mlp.c_fc.bias", (Fd,)),
              (p + "mlp.c_proj.weight", (C, Fd)), (p + "mlp.c_proj.bias", (C,))]
    if fam == "bert":
        t += [("mlm.dense.weight", (C, C)), ("mlm.dense.bias", (C,)), ("mlm.ln.weight", (C,)),
              ("mlm.ln.bias", (C,)), ("mlm.bias", (cfg["vocab"],))]
    else:
        t += [("ln_f.weight", (C,)), ("ln_f.bias", (C,))]
        if fam == "vit":
            t += [("head.weight", (cfg["n_classes"], C)), ("head.bias", (cfg["n_classes"],))]
    return t


def draw(shape, name):
    if len(shape) == 1:
        if "ln" in name and name.endswith(".weight"):
            return 1.0 + 0.1 * torch.randn(shape, dtype=DT)
        return 0.1 * torch.randn(shape, dtype=DT)
    return 0.3 * torch.randn(shape, dtype=DT)


def attention(qkv, nh, causal):
    B, T, C3 = qkv.shape
    C = C3 // 3
    hs = C // nh
    q, k, v = qkv.split(C, dim=2)
    q, k, v = [x.view(B, T, nh, hs).transpose(1, 2) for x in (q, k, v)]
    att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
    if causal:
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf"))
    att = torch.softmax(att, dim=-1)
    return (att @ v).transpose(1, 2).reshape(B, T, C)


def block(x, P, i, cfg, causal, pre_ln):
    p = "h.%d." % i
    eps, C = cfg["ln_eps"], cfg["d_model"]
    lin = lambda h, n: F.linear(h, P[p + n + ".weight"], P[p + n + ".bias"])
    ln = lambda h, n: F.layer_norm(h, (C,), P[p + n + ".weight"], P[p + n + ".bias"], eps)
    h = ln(x, "ln_1") if pre_ln else x
    x = x + lin(attention(lin(h, "attn.c_attn"), cfg["n_head"], causal), "attn.c_proj")
    if not pre_ln:
        x = ln(x, "ln_1")
    h = ln(x, "ln_2") if pre_ln else x
    x = x + lin(F.gelu(lin(h, "mlp.c_fc"), approximate="tanh"), "mlp.c_proj")
    if not pre_ln:
        x = ln(x, "ln_2")
    return x


def forward(fam, P, cfg, batch):
    C, eps = cfg["d_model"], cfg["ln_eps"]
    if fam == "vit":
        img = batch["images"]
        B = img.shape[0]
        Pp, H, W = cfg["patch"], cfg["image_h"], cfg["image_w"]
        patches = img.view(B, H // Pp, Pp, W // Pp, Pp).permute(0, 1, 3, 2, 4).reshape(B, -1, Pp * Pp)
        x = F.linear(patches, P["patch.weight"], P["patch.bias"])
        x = torch.cat([P["cls_token"].expand(B, 1, C), x], dim=1) + P["wpe.weight"]
        T = x.shape[1]
    else:
        ids = batch["inputs"]
        B, T = ids.shape
        x = P["wte.weight"][ids] + P["wpe.weight"][:T]
        if fam == "bert":
            x = F.layer_norm(x, (C,), P["emb_ln.weight"], P["emb_ln.bias"], eps)
    for i in range(cfg["n_layer"]):
        x = block(x, P, i, cfg, fam == "gpt", fam != "bert")
    if fam == "gpt":
        x = F.layer_norm(x, (C,), P["ln_f.weight"], P["ln_f.bias"], eps)
        logits = x @ P["wte.weight"].t()
        return F.cross_entropy(logits.reshape(B * T, -1), batch["targets"].reshape(-1))
    if fam == "bert":
        h = F.gelu(F.linear(x, P["mlm.dense.weight"], P["mlm.dense.bias"]), approximate="tanh")
        h = F.layer_norm(h, (C,), P["mlm.ln.weight"], P["mlm.ln.bias"], eps)
        logits = h @ P["wte.weight"].t() + P["mlm.bias"]
        return F.cross_entropy(logits.reshape(B * T, -1), batch["targets"].reshape(-1), ignore_index=-100)
    x = F.layer_norm(x, (C,), P["ln_f.weight"], P["ln_f.bias"], eps)
    logits = F.linear(x[:, 0], P["head.weight"], P["head.bias"])
    return F.cross_entropy(logits, batch["targets"])


CONFIGS = {
    "gpt": dict(n_layer=2, d_model=16, n_head=2, d_ff=64, vocab=11, ctx_len=8, ln_eps=1e-5, B=2, T=5),
    "bert": dict(n_layer=2, d_model=16, n_head=4, d_ff=24, vocab=13, ctx_len=8, ln_eps=1e-12, B=2, T=6),
    "vit": dict(n_layer=2, d_model=16, n_head=2, d_ff=64, image_h=8, image_w=8, patch=4, n_classes=3,
                ctx_len=5, ln_eps=1e-12, B=3),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for fam, cfg in CONFIGS.items():
        P = {n: draw(s, n).requires_grad_() for n, s in table(fam, cfg)}
        B = cfg["B"]
        batch = {}
        if fam == "vit":
            batch["images"] = torch.rand(B, cfg["image_h"], cfg["image_w"], dtype=DT)
            batch["targets"] = torch.randint(0, cfg["n_classes"], (B,))
        else:
            T = cfg["T"]
            ids = torch.randint(0, cfg["vocab"], (B, T + 1))
            if fam == "gpt":
                batch["inputs"], batch["targets"] = ids[:, :T], ids[:, 1:]
            else:
                orig = ids[:, :T]
                chosen = torch.zeros(B, T, dtype=torch.bool)
                chosen[0, 1] = chosen[0, 4] = chosen[1, 0] = chosen[1, 3] = chosen[1, 5] = True
                inputs = orig.clone()
                inputs[0, 1] = cfg["vocab"] - 1  # the mask id
                inputs[1, 3] = cfg["vocab"] - 1
                inputs[0, 4] = (orig[0, 4] + 3) % (cfg["vocab"] - 1)  # a random replacement
                batch["inputs"] = inputs
                batch["targets"] = torch.where(chosen, orig, torch.full_like(orig, -100))
        loss = forward(fam, P, cfg, batch)
        loss.backward()
        tensors = [("loss", loss.detach().reshape(1))]
        for k in ("inputs", "targets", "images"):
            if k in batch:
                tensors.append((k, batch[k].to(DT).reshape(-1)))
        for n, _ in table(fam, cfg):
            tensors.append(("param." + n, P[n]))
        for n, _ in table(fam, cfg):
            tensors.append(("grad." + n, P[n].grad))
        meta = {k: str(v) for k, v in cfg.items()}
        meta["family"] = fam
        meta["torch"] = torch.__version__
        path = os.path.join(OUT, fam + ".safetensors")
        write_safetensors(path, tensors, meta)
        print("wrote %s: loss %.6f" % (os.path.relpath(path), loss.item()))


if __name__ == "__main__":
    main()
