#!/usr/bin/env python3
"""ligo checkpoints in PyTorch: load a ligo GPT, BERT, ViT or LLaMA into a plain
PyTorch model, train it there, and write it back in ligo's format.

Needs only the Python standard library and torch (Debian: python3-torch).
The safetensors files are parsed here with struct and json.

    python3 tools/ligo_torch.py info  --model grown.safetensors
    python3 tools/ligo_torch.py eval  --model grown.safetensors --data text.txt
    python3 tools/ligo_torch.py train --model grown.safetensors --data text.txt \\
        --steps 1000 --out continued.safetensors
    build/ligo eval --model continued.safetensors --data text.txt

As a module:

    import ligo_torch
    model = ligo_torch.load("grown.safetensors")    # a torch.nn.Module
    ...                                              # train it anywhere
    ligo_torch.save(model, "back.safetensors")      # ligo reads this

The models follow src/nn.c exactly (see docs/design.md, "Model families"):

    GPT   GPT-2: pre-LN blocks, causal attention, learned positions, tanh
          GELU, final LN, logits = x wte^T (tied). Conv1D weights (in, out).
    BERT  post-LN blocks, embedding LN, bidirectional; MLM head: dense,
          GELU, LN, logits = x wte^T + bias (tied decoder). No token types.
    ViT   1-channel images cut into P x P patches (a strided conv), a class
          token in front, learned positions, pre-LN blocks, final LN, a
          linear classifier on the class token.
    LLaMA (src/llama.c) LlamaForCausalLM: pre-norm RMSNorm blocks, causal
          attention with rotate-half RoPE on Q and K, n_kv_head KV heads
          each serving n_head / n_kv_head query heads, SwiGLU MLP, no
          biases, final RMSNorm, head tied to the embedding or lm_head.

Every parameter's state-dict name is the tensor's name in the ligo file,
which is its Hugging Face name (GPT without the "transformer." prefix), so
load and save are a rename-free copy. Losses are ligo's: the mean
cross-entropy over rows whose target is not -100.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = -100  # LIGO_IGNORE
FAMILIES = ("gpt", "bert", "vit", "llama")
CONFIG_KEYS = ("n_layer", "d_model", "n_head", "d_ff", "vocab", "ctx_len", "image_h", "image_w", "patch",
               "n_classes")

# ------------------------------------------------------------ safetensors

_DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "F16": (torch.float16, 2),
           "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}


class FormatError(Exception):
    pass


def read_safetensors(path):
    """(metadata dict, {name: tensor}) of a safetensors file. Checks the
    header length, offsets and sizes before using them."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise FormatError("%s: %d bytes is shorter than the 8-byte header length" % (path, len(raw)))
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > len(raw) - 8 or hlen > 100000000:
        raise FormatError("%s: header length %d does not fit the file" % (path, hlen))
    try:
        header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FormatError("%s: header is not JSON: %s" % (path, e))
    if not isinstance(header, dict):
        raise FormatError("%s: header is not a JSON object" % path)
    data = raw[8 + hlen:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = info.get("dtype")
        if dtype not in _DTYPES:
            raise FormatError("%s: tensor %s has dtype %r (read: %s)" % (path, name, dtype, ", ".join(_DTYPES)))
        tdt, size = _DTYPES[dtype]
        shape = [int(d) for d in info["shape"]]
        b, e = (int(x) for x in info["data_offsets"])
        n = 1
        for d in shape:
            n *= d
        if not (0 <= b <= e <= len(data)) or e - b != n * size:
            raise FormatError("%s: tensor %s: offsets [%d, %d] do not hold %s %s" % (path, name, b, e, shape, dtype))
        buf = bytearray(data[b:e])  # a writable copy for frombuffer
        t = torch.frombuffer(buf, dtype=tdt) if n else torch.empty(0, dtype=tdt)
        if sys.byteorder != "little" and size > 1:
            t = t.view(torch.uint8).view(-1, size).flip(1).reshape(-1).view(tdt)
        tensors[name] = t.reshape(shape).clone()
    return meta, tensors


def write_safetensors(path, tensors, metadata=None):
    """Write {name: tensor} (float32, in the given order) as safetensors, the
    way ligo does: header padded with spaces to a multiple of 8, offsets
    consecutive; through a temporary file that is flushed and renamed."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, at = [], 0
    for name, t in tensors.items():
        t = t.detach().to(torch.float32).contiguous().cpu()
        b = t.numpy().astype("<f4").tobytes() if t.numel() else b""
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------ config

def _f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


class Config:
    """ligo_config: the family and sizes, as stored in the file metadata."""

    def __init__(self, family, **kw):
        if family not in FAMILIES:
            raise ValueError("family %r is not gpt, bert, vit or llama" % family)
        self.family = family
        for k in CONFIG_KEYS:
            setattr(self, k, int(kw.get(k, 0)))
        self.ln_eps = _f32(kw.get("ln_eps", 1e-5 if family in ("gpt", "llama") else 1e-12))
        if self.d_ff == 0:  # LLaMA: 8 d / 3 rounded up to a multiple of 32, as ligo_config_check
            self.d_ff = (8 * self.d_model + 95) // 96 * 32 if family == "llama" else 4 * self.d_model
        if family == "llama":
            self.n_kv_head = int(kw.get("n_kv_head", 0)) or self.n_head
            self.rope_theta = _f32(kw.get("rope_theta", 10000.0))
            self.untied_head = int(kw.get("untied_head", 0))
            if self.n_head % self.n_kv_head:
                raise ValueError("%d KV heads do not divide %d heads" % (self.n_kv_head, self.n_head))
        if family == "vit":
            self.ctx_len = (self.image_h // self.patch) * (self.image_w // self.patch) + 1
        if self.n_head < 1 or self.d_model % self.n_head:
            raise ValueError("%d heads do not divide width %d" % (self.n_head, self.d_model))

    @classmethod
    def from_metadata(cls, meta):
        if "ligo.family" not in meta:
            raise FormatError("no ligo.family in the metadata (not a ligo checkpoint)")
        kw = {}
        for k in CONFIG_KEYS:
            if "ligo." + k not in meta:
                raise FormatError("ligo.%s is missing from the metadata" % k)
            kw[k] = int(meta["ligo." + k])
        kw["ln_eps"] = float(meta["ligo.ln_eps"])
        if meta["ligo.family"] == "llama":
            for k in ("n_kv_head", "rope_theta", "untied_head"):
                if "ligo." + k not in meta:
                    raise FormatError("ligo.%s is missing from the metadata" % k)
            kw["n_kv_head"] = int(meta["ligo.n_kv_head"])
            kw["rope_theta"] = float(meta["ligo.rope_theta"])
            kw["untied_head"] = int(meta["ligo.untied_head"])
        return cls(meta["ligo.family"], **kw)

    def metadata(self):
        """The metadata block ligo writes (src/checkpoint.c, ligo_config_to_st)."""
        m = {"format": "pt", "ligo.family": self.family}
        for k in CONFIG_KEYS:
            m["ligo." + k] = str(getattr(self, k))
        m["ligo.ln_eps"] = "%.9g" % self.ln_eps
        if self.family == "llama":
            m["ligo.n_kv_head"] = str(self.n_kv_head)
            m["ligo.rope_theta"] = "%.9g" % self.rope_theta
            m["ligo.untied_head"] = str(self.untied_head)
        return m

    def __repr__(self):
        extra = ("n_kv_head", "rope_theta", "untied_head") if self.family == "llama" else ()
        return "Config(%s)" % ", ".join("%s=%r" % (k, getattr(self, k))
                                        for k in ("family",) + CONFIG_KEYS + ("ln_eps",) + extra)


# ------------------------------------------------------------------ models

def gelu(x):
    """GELU, tanh approximation (GPT-2's, ligo's ligo_gelu)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def attention(q, k, v, n_head, causal):
    """q, k, v (B, T, C) -> (B, T, C): softmax(Q K^T / sqrt(hs)) V per head."""
    B, T, C = q.shape
    hs = C // n_head
    q, k, v = (t.view(B, T, n_head, hs).transpose(1, 2) for t in (q, k, v))
    s = q @ k.transpose(-2, -1) / math.sqrt(hs)
    if causal:
        mask = torch.ones(T, T, dtype=torch.bool, device=s.device).triu(1)
        s = s.masked_fill(mask, float("-inf"))
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)


class Conv1D(nn.Module):
    """GPT-2's Conv1D: y = x W + b with W stored (in, out)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class _Mod(nn.Module):
    """A container whose attributes become state-dict name parts."""

    def __init__(_self, /, **children):  # "self" can be a child's name (BERT)
        super().__init__()
        for k, v in children.items():
            setattr(_self, k, v)


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C, F_ = cfg.d_model, cfg.d_ff
        self.wte = nn.Embedding(cfg.vocab, C)
        self.wpe = nn.Embedding(cfg.ctx_len, C)
        self.h = nn.ModuleList(_Mod(
            ln_1=nn.LayerNorm(C, eps=cfg.ln_eps),
            attn=_Mod(c_attn=Conv1D(C, 3 * C), c_proj=Conv1D(C, C)),
            ln_2=nn.LayerNorm(C, eps=cfg.ln_eps),
            mlp=_Mod(c_fc=Conv1D(C, F_), c_proj=Conv1D(F_, C))) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(C, eps=cfg.ln_eps)

    def forward(self, inputs):
        """inputs (B, T) token ids -> logits (B, T, V)."""
        B, T = inputs.shape
        x = self.wte(inputs) + self.wpe(torch.arange(T, device=inputs.device))
        for blk in self.h:
            q, k, v = blk.attn.c_attn(blk.ln_1(x)).split(self.cfg.d_model, dim=-1)
            x = x + blk.attn.c_proj(attention(q, k, v, self.cfg.n_head, True))
            x = x + blk.mlp.c_proj(gelu(blk.mlp.c_fc(blk.ln_2(x))))
        return self.ln_f(x) @ self.wte.weight.t()


def _enc_layer(C, F_, eps, attn_name, vit):
    """One BERT or ViT encoder layer with Hugging Face's module names."""
    qkv = _Mod(query=nn.Linear(C, C), key=nn.Linear(C, C), value=nn.Linear(C, C))
    if vit:
        return _Mod(layernorm_before=nn.LayerNorm(C, eps=eps),
                    attention=_Mod(**{attn_name: qkv, "output": _Mod(dense=nn.Linear(C, C))}),
                    layernorm_after=nn.LayerNorm(C, eps=eps),
                    intermediate=_Mod(dense=nn.Linear(C, F_)),
                    output=_Mod(dense=nn.Linear(F_, C)))
    return _Mod(attention=_Mod(**{attn_name: qkv,
                                  "output": _Mod(dense=nn.Linear(C, C), LayerNorm=nn.LayerNorm(C, eps=eps))}),
                intermediate=_Mod(dense=nn.Linear(C, F_)),
                output=_Mod(dense=nn.Linear(F_, C), LayerNorm=nn.LayerNorm(C, eps=eps)))


class BERT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C = cfg.d_model
        self.bert = _Mod(
            embeddings=_Mod(word_embeddings=nn.Embedding(cfg.vocab, C),
                            position_embeddings=nn.Embedding(cfg.ctx_len, C),
                            LayerNorm=nn.LayerNorm(C, eps=cfg.ln_eps)),
            encoder=_Mod(layer=nn.ModuleList(_enc_layer(C, cfg.d_ff, cfg.ln_eps, "self", False)
                                             for _ in range(cfg.n_layer))))
        self.cls = _Mod(predictions=_Mod(transform=_Mod(dense=nn.Linear(C, C),
                                                        LayerNorm=nn.LayerNorm(C, eps=cfg.ln_eps))))
        self.cls.predictions.bias = nn.Parameter(torch.zeros(cfg.vocab))

    def forward(self, inputs):
        """inputs (B, T) token ids -> MLM logits (B, T, V)."""
        B, T = inputs.shape
        e = self.bert.embeddings
        x = e.LayerNorm(e.word_embeddings(inputs) + e.position_embeddings(torch.arange(T, device=inputs.device)))
        for L in self.bert.encoder.layer:
            s = L.attention.self
            a = attention(s.query(x), s.key(x), s.value(x), self.cfg.n_head, False)
            x = L.attention.output.LayerNorm(x + L.attention.output.dense(a))
            x = L.output.LayerNorm(x + L.output.dense(gelu(L.intermediate.dense(x))))
        p = self.cls.predictions
        x = p.transform.LayerNorm(gelu(p.transform.dense(x)))
        return x @ e.word_embeddings.weight.t() + p.bias


class ViT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C, P = cfg.d_model, cfg.patch
        emb = _Mod(patch_embeddings=_Mod(projection=nn.Conv2d(1, C, P, stride=P)))
        emb.cls_token = nn.Parameter(torch.zeros(1, 1, C))
        emb.position_embeddings = nn.Parameter(torch.zeros(1, cfg.ctx_len, C))
        self.vit = _Mod(embeddings=emb,
                        encoder=_Mod(layer=nn.ModuleList(_enc_layer(C, cfg.d_ff, cfg.ln_eps, "attention", True)
                                                         for _ in range(cfg.n_layer))),
                        layernorm=nn.LayerNorm(C, eps=cfg.ln_eps))
        self.classifier = nn.Linear(C, cfg.n_classes)

    def forward(self, images):
        """images (B, H, W) -> class logits (B, n_classes)."""
        B = images.shape[0]
        e = self.vit.embeddings
        p = e.patch_embeddings.projection(images.unsqueeze(1)).flatten(2).transpose(1, 2)  # (B, N, C), row-major
        x = torch.cat([e.cls_token.expand(B, -1, -1), p], dim=1) + e.position_embeddings
        for L in self.vit.encoder.layer:
            h = L.layernorm_before(x)
            s = L.attention.attention
            x = x + L.attention.output.dense(attention(s.query(h), s.key(h), s.value(h), self.cfg.n_head, False))
            x = x + L.output.dense(gelu(L.intermediate.dense(L.layernorm_after(x))))
        return self.classifier(self.vit.layernorm(x)[:, 0])


class RMSNorm(nn.Module):
    """LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, C, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(C))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, n_head, theta):
    """Rotate-half RoPE (Hugging Face's apply_rotary_pos_emb) on x (B, T,
    n_head * hs): in each head dim i pairs with i + hs/2 and turns by
    t theta^(-2i / hs) at position t (angles in float64, as ligo's)."""
    B, T, C = x.shape
    hs = C // n_head
    inv = 1.0 / theta ** (torch.arange(0, hs, 2, dtype=torch.float64) / hs)
    a = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    a = torch.cat((a, a), dim=-1)
    cos, sin = a.cos().to(x.dtype).to(x.device), a.sin().to(x.dtype).to(x.device)
    h = x.view(B, T, n_head, hs)
    rot = torch.cat((-h[..., hs // 2:], h[..., :hs // 2]), dim=-1)
    return (h * cos[:, None, :] + rot * sin[:, None, :]).reshape(B, T, C)


def repeat_kv(x, n_head, n_kv_head):
    """(B, T, KV hs) -> (B, T, NH hs): KV head g serves query heads
    g * r ... g * r + r - 1, r = NH / KV (Hugging Face's repeat_kv)."""
    B, T, K = x.shape
    hs = K // n_kv_head
    return x.view(B, T, n_kv_head, 1, hs).expand(B, T, n_kv_head, n_head // n_kv_head, hs).reshape(B, T, n_head * hs)


class LLaMA(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C, F_, K = cfg.d_model, cfg.d_ff, cfg.n_kv_head * (cfg.d_model // cfg.n_head)
        lin = lambda i, o: nn.Linear(i, o, bias=False)
        self.model = _Mod(
            embed_tokens=nn.Embedding(cfg.vocab, C),
            layers=nn.ModuleList(_Mod(
                input_layernorm=RMSNorm(C, cfg.ln_eps),
                self_attn=_Mod(q_proj=lin(C, C), k_proj=lin(C, K), v_proj=lin(C, K), o_proj=lin(C, C)),
                post_attention_layernorm=RMSNorm(C, cfg.ln_eps),
                mlp=_Mod(gate_proj=lin(C, F_), up_proj=lin(C, F_), down_proj=lin(F_, C))) for _ in range(cfg.n_layer)),
            norm=RMSNorm(C, cfg.ln_eps))
        if cfg.untied_head:
            self.lm_head = lin(C, cfg.vocab)

    def forward(self, inputs):
        """inputs (B, T) token ids -> logits (B, T, V)."""
        cfg = self.cfg
        x = self.model.embed_tokens(inputs)
        for L in self.model.layers:
            h, a = L.input_layernorm(x), L.self_attn
            q = rope(a.q_proj(h), cfg.n_head, cfg.rope_theta)
            k = repeat_kv(rope(a.k_proj(h), cfg.n_kv_head, cfg.rope_theta), cfg.n_head, cfg.n_kv_head)
            v = repeat_kv(a.v_proj(h), cfg.n_head, cfg.n_kv_head)
            x = x + a.o_proj(attention(q, k, v, cfg.n_head, True))
            h, m = L.post_attention_layernorm(x), L.mlp
            x = x + m.down_proj(F.silu(m.gate_proj(h)) * m.up_proj(h))
        x = self.model.norm(x)
        return self.lm_head(x) if cfg.untied_head else x @ self.model.embed_tokens.weight.t()


MODELS = {"gpt": GPT, "bert": BERT, "vit": ViT, "llama": LLaMA}


def build(cfg):
    """A model of the config's family (parameters zero; load or init them)."""
    return MODELS[cfg.family](cfg)


def loss_fn(logits, targets):
    """ligo's loss: mean cross-entropy over rows whose target is not -100."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1).long(), ignore_index=IGNORE)


# ---------------------------------------------------------- load and save

def load_tensors(model, tensors, what="checkpoint", extra_ok=()):
    """Copy {name: tensor} into the model; every parameter must be there
    with its shape. Names starting with "ligo." (optimizer state) and those
    in extra_ok are skipped; any other unknown name is an error."""
    sd = model.state_dict()
    unknown = [k for k in tensors if k not in sd and not k.startswith("ligo.") and k not in extra_ok]
    if unknown:
        raise FormatError("%s: tensors the %s model does not have: %s" % (what, model.cfg.family, ", ".join(unknown[:5])))
    with torch.no_grad():
        for k, p in sd.items():
            if k not in tensors:
                raise FormatError("%s: tensor %s is missing" % (what, k))
            t = tensors[k]
            if tuple(t.shape) != tuple(p.shape):
                raise FormatError("%s: tensor %s is %s, the config needs %s" % (what, k, list(t.shape), list(p.shape)))
            p.copy_(t.to(p.dtype))
    return model


def load(path, dtype=torch.float32):
    """The model stored in a ligo checkpoint (training state is ignored)."""
    meta, tensors = read_safetensors(path)
    cfg = Config.from_metadata(meta)
    model = build(cfg)
    load_tensors(model, tensors, path)
    return model.to(dtype)


def save(model, path):
    """Write the model as a ligo checkpoint (`ligo eval`, `ligo grow`,
    `ligo train --resume` with a fresh optimizer ... read it)."""
    write_safetensors(path, {k: v for k, v in model.state_dict().items()}, model.cfg.metadata())


# -------------------------------------------------------------------- data

def read_text(path):
    with open(path, "rb") as f:
        return torch.tensor(list(f.read()), dtype=torch.long)


def read_idx(images_path, labels_path):
    """IDX images (scaled to [0, 1] as ligo does) and labels; .gz or plain."""
    def raw(p):
        if not os.path.exists(p) and os.path.exists(p + ".gz"):
            p += ".gz"
        with (gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")) as f:
            return f.read()
    a, b = raw(images_path), raw(labels_path)
    magic, n, rows, cols = struct.unpack(">IIII", a[:16])
    magic2, n2 = struct.unpack(">II", b[:8])
    if magic != 0x803 or magic2 != 0x801 or n != n2:
        raise FormatError("%s / %s are not matching IDX image and label files" % (images_path, labels_path))
    px = torch.tensor(list(a[16:16 + n * rows * cols]), dtype=torch.float32).view(n, rows, cols) / 255.0
    return px, torch.tensor(list(b[8:8 + n]), dtype=torch.long)


def read_images(directory):
    return (read_idx(os.path.join(directory, "train-images-idx3-ubyte"), os.path.join(directory, "train-labels-idx1-ubyte")),
            read_idx(os.path.join(directory, "t10k-images-idx3-ubyte"), os.path.join(directory, "t10k-labels-idx1-ubyte")))


def val_windows(tokens, T):
    """ligo_evaluate's GPT windows: consecutive non-overlapping windows of
    T + 1 tokens of the last 10% (n // 10 tokens) -> inputs, targets."""
    n = tokens.numel()
    val = tokens[n - n // 10:]
    k = val.numel() // (T + 1)
    w = val[:k * (T + 1)].view(k, T + 1)
    return w[:, :-1], w[:, 1:]


def spread(n, count):
    """ligo_evaluate's subset: `count` of n items spread over all of them,
    item i * n // count (every item when count is 0 or >= n)."""
    if not count or count >= n:
        return torch.arange(n)
    return torch.tensor([i * n // count for i in range(count)])


def mlm_mask(inputs, mask_id, vocab, g, frac=0.15):
    """BERT's masking: frac of positions chosen; 80% mask id, 10% random,
    10% unchanged; targets -100 elsewhere."""
    chosen = torch.rand(inputs.shape, generator=g) < frac
    u = torch.rand(inputs.shape, generator=g)
    x = inputs.clone()
    x[chosen & (u < 0.8)] = mask_id
    rnd = chosen & (u >= 0.8) & (u < 0.9)
    x[rnd] = torch.randint(0, vocab, inputs.shape, generator=g)[rnd]
    return x, torch.where(chosen, inputs, torch.full_like(inputs, IGNORE))


# --------------------------------------------------------------- commands

def _device(name):
    return torch.device(name if name else ("cuda" if torch.cuda.is_available() else "cpu"))


def evaluate(model, data, windows=0, batch=16):
    """ligo eval's number for GPT (text) and ViT (IDX directory)."""
    cfg = model.cfg
    dev = next(model.parameters()).device
    total, count, correct = 0.0, 0, 0
    model.eval()
    with torch.no_grad():
        if cfg.family in ("gpt", "llama"):
            x, y = val_windows(read_text(data), cfg.ctx_len)
            idx = spread(x.shape[0], windows)
            x, y = x[idx], y[idx]
            for i in range(0, x.shape[0], batch):
                logits = model(x[i:i + batch].to(dev))
                total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(),
                                               y[i:i + batch].reshape(-1).to(dev), reduction="sum"))
                count += y[i:i + batch].numel()
        elif cfg.family == "vit":
            _, (px, lb) = read_images(data)
            idx = spread(px.shape[0], windows)
            px, lb = px[idx], lb[idx]
            for i in range(0, px.shape[0], batch):
                logits = model(px[i:i + batch].to(dev).to(next(model.parameters()).dtype))
                total += float(F.cross_entropy(logits.double(), lb[i:i + batch].to(dev), reduction="sum"))
                correct += int((logits.argmax(-1).cpu() == lb[i:i + batch]).sum())
                count += lb[i:i + batch].numel()
        else:
            raise ValueError("eval here covers gpt, llama and vit (BERT's masks come from ligo's own RNG)")
    out = {"command": "eval", "ok": True, "family": cfg.family, "val_loss": total / max(count, 1), "predictions": count}
    if cfg.family == "vit":
        out["val_accuracy"] = correct / max(count, 1)
    return out


def train(model, data, steps, batch=16, lr=1e-3, wd=0.1, beta2=0.95, clip=1.0, seed=1, log=None):
    """AdamW on random training windows (GPT, BERT) or images (ViT), as
    `ligo train` does it (not the same batches): a plain loop to continue
    a grown model; replace it by your cluster's trainer."""
    cfg = model.cfg
    dev = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    tables = ("wte.", "wpe.", "word_embeddings", "position_embeddings", "cls_token", "embed_tokens")
    decay = [p for k, p in model.named_parameters() if p.dim() >= 2 and not any(t in k for t in tables)]
    ids = {id(p) for p in decay}
    groups = [{"params": decay, "weight_decay": wd},
              {"params": [p for p in model.parameters() if id(p) not in ids], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2), eps=1e-8)
    if cfg.family == "vit":
        (px, lb), _ = read_images(data)
    else:
        tokens = read_text(data)
        n_train = tokens.numel() - tokens.numel() // 10
        T = cfg.ctx_len
    model.train()
    loss = None
    for step in range(steps):
        if cfg.family == "vit":
            i = torch.randint(0, px.shape[0], (batch,), generator=g)
            logits, targets = model(px[i].to(dev)), lb[i].to(dev)
        else:
            starts = torch.randint(0, n_train - T - 1, (batch,), generator=g)
            w = torch.stack([tokens[s:s + T + 1] for s in starts.tolist()])
            if cfg.family in ("gpt", "llama"):
                x, targets = w[:, :-1], w[:, 1:]
            else:
                x, targets = mlm_mask(w[:, :-1], cfg.vocab - 1, 256, g)
            logits, targets = model(x.to(dev)), targets.to(dev)
        loss = loss_fn(logits, targets)
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if log:
            log(step + 1, float(loss))
    return float(loss) if loss is not None else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(description="ligo checkpoints in PyTorch (see the module docstring).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("info", help="print the config and tensor count of a checkpoint")
    a.add_argument("--model", required=True)
    a = sub.add_parser("eval", help="validation loss as ligo eval computes it (gpt, llama, vit)")
    a.add_argument("--model", required=True)
    a.add_argument("--data", required=True)
    a.add_argument("--windows", type=int, default=0)
    a.add_argument("--device", default="")
    a = sub.add_parser("train", help="continue training in PyTorch, then write a ligo checkpoint")
    a.add_argument("--model", required=True)
    a.add_argument("--data", required=True)
    a.add_argument("--steps", type=int, default=100)
    a.add_argument("--batch", type=int, default=16)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--wd", type=float, default=0.1)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--device", default="")
    a.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    try:
        model = load(args.model)
    except (OSError, FormatError, ValueError, KeyError) as e:
        print("ligo_torch: %s" % e, file=sys.stderr)
        return 1
    if args.cmd == "info":
        n = sum(p.numel() for p in model.parameters())
        print(json.dumps({"command": "info", "ok": True, "config": vars(model.cfg), "params": n}))
        return 0
    model.to(_device(args.device))
    if args.cmd == "eval":
        print(json.dumps(evaluate(model, args.data, args.windows)))
        return 0
    last = train(model, args.data, args.steps, args.batch, args.lr, args.wd, seed=args.seed,
                 log=lambda s, l: print("step %d loss %.4f" % (s, l), file=sys.stderr) if s % 10 == 0 else None)
    save(model.cpu(), args.out)
    print(json.dumps({"command": "train", "ok": True, "steps": args.steps, "train_loss": last, "out": args.out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
