#!/usr/bin/env python3
"""The LiGO growth operator in PyTorch: a large model materialised from a
small ligo checkpoint and an operator file written by `ligo grow
--operator-out`, exactly as `ligo grow` materialises it (src/grow.c,
src/grow_apply.c; docs/design.md section 4).

    python3 tools/ligo_grow_torch.py --from small.safetensors \\
        --operator op.safetensors --out grown.safetensors

As a module:

    import ligo_grow_torch
    tensors = ligo_grow_torch.grow("small.safetensors", "op.safetensors")
    # {name: float32 tensor}: ligo's checkpoint names and layouts, what
    # ligo_torch.load reads; ligo_grow_torch.grow_model gives the config too

Supported: GPT, BERT, ViT and LLaMA; the methods whose operator ligo saves
(ligo, ligo-width, ligo-depth, and stack, interlace, fpi, aki with their
symmetry noise); the options full_width, width_first, grow_head_dim and
residual. The fixed parts (the baselines' copy selections, FPI's divided
in-expansion, scaled Q and identity layers, AKI's next-layer units, stacked
or interlaced depth) are recomputed from grow.c's rules; the noise is read
from the file. Everything is computed in float64 and returned as float32.

A fixed method run with `--symmetry-noise 0` (or one that enlarges no
tensor) has nothing to save and `ligo grow` writes no operator file;
grow_fixed(small, large_config, method, grow_head_dim) makes that model.

Anything else is refused with an error naming it (UnsupportedOperator or
ligo_torch.FormatError): another method (scratch saves no operator), a
model definition of one's own (ligo.model in the metadata), an unknown
metadata key, a fitting state, a tensor the operator should not hold or
one missing, a small checkpoint that does not match the operator.
"""
import argparse
import math
import os
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ligo_torch as lt  # noqa: E402

FormatError = lt.FormatError


class UnsupportedOperator(lt.FormatError):
    """An operator file whose method, option or content this module does
    not reproduce."""


# ----------------------------------------------------------------- schema
# src/schema.c's roles, mirrored: (name, hf key, ndim, sizes, streams,
# module, bias, flags, layout). Sizes: "1" "C" "3C" "F" "V" "T" "PP" "K".

EMBED, ROUT, TIED = 1, 2, 4
LN1, Q, K, V, O, LN2, FC1, FC2, GATE = range(9)
QKV = "qkv"
MOD_NAMES = ("ln_1", "q", "k", "v", "o", "ln_2", "fc1", "fc2", "gate")
METHODS = ("scratch", "stack", "interlace", "fpi", "aki", "ligo", "ligo-depth", "ligo-width")
SUPPORTED = ("stack", "interlace", "fpi", "aki", "ligo", "ligo-depth", "ligo-width")
GROW_KEYS = ("method", "small_layers", "small_dim", "small_ffn", "full_width", "width_first", "grow_head_dim",
             "residual", "noise")


def _block(hf_ln1, hf_qkv, hf_o, hf_ln2, hf_fc1, hf_fc2, qkv_layout, lay):
    return [
        ("ln_1.weight", hf_ln1 + ".weight", 1, ("C",), ("emb",), LN1, 0, 0, "plain"),
        ("ln_1.bias", hf_ln1 + ".bias", 1, ("C",), ("emb",), LN1, 1, 0, "plain"),
        ("attn.c_attn.weight", hf_qkv + ".weight", 2, ("3C", "C"), ("qkv", "emb"), QKV, 0, 0, qkv_layout),
        ("attn.c_attn.bias", hf_qkv + ".bias", 1, ("3C",), ("qkv",), QKV, 1, 0,
         "qkv" if qkv_layout == "qkv" else "plain"),
        ("attn.c_proj.weight", hf_o + ".weight", 2, ("C", "C"), ("emb", "v"), O, 0, ROUT, lay),
        ("attn.c_proj.bias", hf_o + ".bias", 1, ("C",), ("emb",), O, 1, ROUT, "plain"),
        ("ln_2.weight", hf_ln2 + ".weight", 1, ("C",), ("emb",), LN2, 0, 0, "plain"),
        ("ln_2.bias", hf_ln2 + ".bias", 1, ("C",), ("emb",), LN2, 1, 0, "plain"),
        ("mlp.c_fc.weight", hf_fc1 + ".weight", 2, ("F", "C"), ("ffn", "emb"), FC1, 0, 0, lay),
        ("mlp.c_fc.bias", hf_fc1 + ".bias", 1, ("F",), ("ffn",), FC1, 1, 0, "plain"),
        ("mlp.c_proj.weight", hf_fc2 + ".weight", 2, ("C", "F"), ("emb", "ffn"), FC2, 0, ROUT, lay),
        ("mlp.c_proj.bias", hf_fc2 + ".bias", 1, ("C",), ("emb",), FC2, 1, ROUT, "plain"),
    ]


SCHEMA = {
    "gpt": (
        [("wte.weight", "wte.weight", 2, ("V", "C"), ("fixed", "emb"), -1, 0, EMBED, "plain"),
         ("wpe.weight", "wpe.weight", 2, ("T", "C"), ("fixed", "emb"), -1, 0, EMBED, "plain")],
        _block("h.%d.ln_1", "h.%d.attn.c_attn", "h.%d.attn.c_proj", "h.%d.ln_2", "h.%d.mlp.c_fc",
               "h.%d.mlp.c_proj", "t", "t"),
        [("ln_f.weight", "ln_f.weight", 1, ("C",), ("emb",), -1, 0, TIED, "plain"),
         ("ln_f.bias", "ln_f.bias", 1, ("C",), ("emb",), -1, 1, TIED, "plain")]),
    "bert": (
        [("wte.weight", "bert.embeddings.word_embeddings.weight", 2, ("V", "C"), ("fixed", "emb"), -1, 0, EMBED,
          "plain"),
         ("wpe.weight", "bert.embeddings.position_embeddings.weight", 2, ("T", "C"), ("fixed", "emb"), -1, 0, EMBED,
          "plain"),
         ("emb_ln.weight", "bert.embeddings.LayerNorm.weight", 1, ("C",), ("emb",), -1, 0, 0, "plain"),
         ("emb_ln.bias", "bert.embeddings.LayerNorm.bias", 1, ("C",), ("emb",), -1, 1, 0, "plain")],
        _block("bert.encoder.layer.%d.attention.output.LayerNorm", "bert.encoder.layer.%d.attention.self.*",
               "bert.encoder.layer.%d.attention.output.dense", "bert.encoder.layer.%d.output.LayerNorm",
               "bert.encoder.layer.%d.intermediate.dense", "bert.encoder.layer.%d.output.dense", "qkv", "plain"),
        [("mlm.dense.weight", "cls.predictions.transform.dense.weight", 2, ("C", "C"), ("cls", "emb"), -1, 0, 0,
          "plain"),
         ("mlm.dense.bias", "cls.predictions.transform.dense.bias", 1, ("C",), ("cls",), -1, 1, 0, "plain"),
         ("mlm.ln.weight", "cls.predictions.transform.LayerNorm.weight", 1, ("C",), ("cls",), -1, 0, TIED, "plain"),
         ("mlm.ln.bias", "cls.predictions.transform.LayerNorm.bias", 1, ("C",), ("cls",), -1, 1, TIED, "plain"),
         ("mlm.bias", "cls.predictions.bias", 1, ("V",), ("fixed",), -1, 1, 0, "plain")]),
    "vit": (
        [("patch.weight", "vit.embeddings.patch_embeddings.projection.weight", 2, ("C", "PP"), ("emb", "fixed"), -1,
          0, 0, "conv"),
         ("patch.bias", "vit.embeddings.patch_embeddings.projection.bias", 1, ("C",), ("emb",), -1, 1, 0, "plain"),
         ("cls_token", "vit.embeddings.cls_token", 2, ("1", "C"), ("fixed", "emb"), -1, 0, EMBED, "token"),
         ("wpe.weight", "vit.embeddings.position_embeddings", 2, ("T", "C"), ("fixed", "emb"), -1, 0, EMBED,
          "positions")],
        _block("vit.encoder.layer.%d.layernorm_before", "vit.encoder.layer.%d.attention.attention.*",
               "vit.encoder.layer.%d.attention.output.dense", "vit.encoder.layer.%d.layernorm_after",
               "vit.encoder.layer.%d.intermediate.dense", "vit.encoder.layer.%d.output.dense", "qkv", "plain"),
        [("ln_f.weight", "vit.layernorm.weight", 1, ("C",), ("emb",), -1, 0, 0, "plain"),
         ("ln_f.bias", "vit.layernorm.bias", 1, ("C",), ("emb",), -1, 1, 0, "plain"),
         ("head.weight", "classifier.weight", 2, ("K", "C"), ("fixed", "emb"), -1, 0, 0, "plain"),
         ("head.bias", "classifier.bias", 1, ("K",), ("fixed",), -1, 1, 0, "plain")]),
}


# src/llama.c's table: names are Hugging Face's, weights (out, in); "KV" is
# n_kv_head x head_dim; o_proj reads the query heads' layout (the Q
# stream); gate and up share the FFN stream; the head depends on the tying
_LL = "model.layers.%d."
LLAMA_BLOCK = [
    (_LL + "input_layernorm.weight", None, 1, ("C",), ("emb",), LN1, 0, 0, "plain"),
    (_LL + "self_attn.q_proj.weight", None, 2, ("C", "C"), ("q", "emb"), Q, 0, 0, "plain"),
    (_LL + "self_attn.k_proj.weight", None, 2, ("KV", "C"), ("k", "emb"), K, 0, 0, "plain"),
    (_LL + "self_attn.v_proj.weight", None, 2, ("KV", "C"), ("v", "emb"), V, 0, 0, "plain"),
    (_LL + "self_attn.o_proj.weight", None, 2, ("C", "C"), ("emb", "q"), O, 0, ROUT, "plain"),
    (_LL + "post_attention_layernorm.weight", None, 1, ("C",), ("emb",), LN2, 0, 0, "plain"),
    (_LL + "mlp.gate_proj.weight", None, 2, ("F", "C"), ("ffn", "emb"), GATE, 0, 0, "plain"),
    (_LL + "mlp.up_proj.weight", None, 2, ("F", "C"), ("ffn", "emb"), FC1, 0, 0, "plain"),
    (_LL + "mlp.down_proj.weight", None, 2, ("C", "F"), ("emb", "ffn"), FC2, 0, ROUT, "plain"),
]


def _llama_schema(cfg):
    head = [("model.norm.weight", None, 1, ("C",), ("emb",), -1, 0, 0 if cfg.untied_head else TIED, "plain")]
    if cfg.untied_head:
        head.append(("lm_head.weight", None, 2, ("V", "C"), ("fixed", "emb"), -1, 0, 0, "plain"))
    return ([("model.embed_tokens.weight", None, 2, ("V", "C"), ("fixed", "emb"), -1, 0, EMBED, "plain")],
            LLAMA_BLOCK, head)


def _stream_width(cfg, s):
    """ligo__stream_width: LLaMA's K and V hold n_kv_head whole heads."""
    if s == "ffn":
        return cfg.d_ff
    if cfg.family == "llama" and s in ("k", "v"):
        return cfg.n_kv_head * (cfg.d_model // cfg.n_head)
    return cfg.d_model


class Param:
    """One ligo_param_info: the internal (out, in) shape and the schema's
    streams, module, layer, bias flag and flags."""

    def __init__(self, role, cfg, layer):
        name, hf, ndim, sizes, streams, module, bias, flags, layout = role
        size = {"1": 1, "C": cfg.d_model, "3C": 3 * cfg.d_model, "F": cfg.d_ff, "V": cfg.vocab,
                "T": cfg.ctx_len, "PP": cfg.patch * cfg.patch, "K": cfg.n_classes,
                "KV": _stream_width(cfg, "k")}
        if hf is None:  # LLaMA: the name is the key
            self.name = self.hf = (name % layer) if layer >= 0 else name
        else:
            self.name = ("h.%d." % layer + name) if layer >= 0 else name
            self.hf = (hf % layer) if layer >= 0 else hf
        self.ndim = ndim
        self.shape = tuple(size[s] for s in sizes)
        self.streams = streams + ("fixed",) * (2 - len(streams))
        self.module, self.bias, self.flags, self.layout, self.layer = module, bias, flags, layout, layer
        self.n = 1
        for d in self.shape:
            self.n *= d


def table(cfg):
    """The parameter table of a config, in ligo's order."""
    pre, block, head = _llama_schema(cfg) if cfg.family == "llama" else SCHEMA[cfg.family]
    out = [Param(r, cfg, -1) for r in pre]
    for i in range(cfg.n_layer):
        out += [Param(r, cfg, i) for r in block]
    out += [Param(r, cfg, -1) for r in head]
    return out


def _file_entries(p):
    """The file tensors of one parameter (src/checkpoint.c, ligo__ck_map):
    (file name, row0, rows, transposed, file shape)."""
    R = p.shape[0]
    Kc = p.shape[1] if p.ndim == 2 else 1
    if p.layout == "t":
        return [(p.hf, 0, R, True, (Kc, R))]
    if p.layout == "qkv":
        return [(p.hf.replace("*", part), j * (R // 3), R // 3, False,
                 (R // 3, Kc) if p.ndim == 2 else (R // 3,)) for j, part in enumerate(("query", "key", "value"))]
    if p.layout == "conv":
        P = int(round(math.sqrt(Kc)))
        return [(p.hf, 0, R, False, (R, 1, P, P))]
    if p.layout in ("token", "positions"):
        return [(p.hf, 0, R, False, (1, R, Kc))]
    return [(p.hf, 0, R, False, p.shape)]


def from_file(params, tensors, what):
    """{internal name: (out, in) float64 tensor} from a checkpoint's tensors."""
    out = {}
    for p in params:
        parts = []
        for fname, row0, rows, tr, fshape in _file_entries(p):
            if fname not in tensors:
                raise FormatError("%s: tensor %s is missing" % (what, fname))
            t = tensors[fname]
            if tuple(t.shape) != tuple(fshape):
                raise FormatError("%s: tensor %s is %s, the config needs %s" % (what, fname, list(t.shape),
                                                                                 list(fshape)))
            t = t.double()
            t = t.t() if tr else t.reshape(rows, -1) if p.ndim == 2 else t.reshape(rows)
            parts.append(t)
        out[p.name] = torch.cat(parts, 0).reshape(p.shape).contiguous()
    return out


def to_file(params, internal):
    """ligo's checkpoint tensors (names, layouts, order) from internal ones."""
    out = OrderedDict()
    for p in params:
        x = internal[p.name]
        for fname, row0, rows, tr, fshape in _file_entries(p):
            part = x[row0:row0 + rows]
            out[fname] = (part.t() if tr else part).reshape(fshape).to(torch.float32).contiguous()
    return out


# -------------------------------------------------------------- the operator

def _f32(x):
    return float(torch.tensor(x, dtype=torch.float32))


class Factor:
    """A width factor (ligo_width_factor): out = B (big x small), inn = the
    in-expansion matrix (B but for FPI and AKI); None when big == small."""

    def __init__(self, name, stream, layer, big, small, heads):
        self.name, self.stream, self.layer = name, stream, layer
        self.big, self.small, self.heads = big, small, heads
        self.out = self.inn = None


def _factors(large, small, lw, width_first, grow_head_dim):
    """ligo__list_factors: the residual stream's, each layer's Q, K, V and
    FFN (small layers when width comes first and is learned), BERT's cls."""
    Lw = small.n_layer if (width_first and lw) else large.n_layer
    fs = [Factor("emb", "emb", -1, large.d_model, small.d_model, 1)]
    for i in range(Lw):
        for s in ("q", "k", "v", "ffn"):
            big, sm = _stream_width(large, s), _stream_width(small, s)
            heads = large.n_head if (s != "ffn" and grow_head_dim) else 1
            fs.append(Factor("h.%d.%s" % (i, s), s, i, big, sm, heads))
    if large.family == "bert":
        fs.append(Factor("cls", "cls", -1, large.d_model, small.d_model, 1))
    return fs


def _fixed(f, normalise_in, scale):
    """ligo__width_fixed: new unit j copies old unit j mod small (per head);
    FPI / AKI divide each copy by its count in the in-expansion."""
    hb, hs = f.big // f.heads, f.small // f.heads
    out = torch.zeros(f.big, f.small, dtype=torch.float64)
    inn = torch.zeros(f.big, f.small, dtype=torch.float64) if normalise_in else None
    for h in range(f.heads):
        for i in range(hb):
            out[h * hb + i, h * hs + i % hs] = scale
        if normalise_in:
            for j in range(hs):
                count = (hb - j + hs - 1) // hs
                for i in range(j, hb, hs):
                    inn[h * hb + i, h * hs + j] = _f32(1.0 / count)
    f.out = out
    f.inn = inn if normalise_in else out


def _learned(f, t, full):
    """B from the file's C ((heads (hb - hs)) x hs) or B ((heads hb) x hs)."""
    hb, hs = f.big // f.heads, f.small // f.heads
    B = torch.zeros(f.big, f.small, dtype=torch.float64)
    per = hb if full else hb - hs
    for h in range(f.heads):
        blk = t[h * per:(h + 1) * per].double()
        if not full:
            blk = torch.cat([torch.eye(hs, dtype=torch.float64), blk], 0)
        B[h * hb:(h + 1) * hb, h * hs:(h + 1) * hs] = blk
    f.out = f.inn = B


def _onehot(L2, L1, interlace):
    w = torch.zeros(L2, L1, dtype=torch.float64)
    for i in range(L2):
        w[i, i * L1 // L2 if interlace else i % L1] = 1.0
    return w


def _meta_int(meta, key, allowed=None):
    v = meta.get(key)
    try:
        iv = int(v)
    except (TypeError, ValueError):
        raise FormatError("operator: %s is %r (want an integer)" % (key, v))
    if allowed is not None and iv not in allowed:
        raise UnsupportedOperator("operator: %s = %s is not supported (want %s)" % (key, v, allowed))
    return iv


def read_operator(path):
    """(metadata, tensors, large config, options) of an operator file, every
    metadata key checked."""
    meta, tensors = lt.read_safetensors(path)
    known = {"format", "ligo.family", "ligo.ln_eps", "ligo.n_kv_head", "ligo.rope_theta", "ligo.untied_head"} | \
        {"ligo." + k for k in lt.CONFIG_KEYS} | \
        {"ligo.grow." + k for k in GROW_KEYS}
    if "ligo.model" in meta:
        raise UnsupportedOperator("%s: grows a model definition of one's own (ligo.model = %s); only the built-in "
                                  "gpt, bert, vit and llama are supported" % (path, meta["ligo.model"]))
    if any(k.startswith("ligo.fit.") for k in list(meta) + list(tensors)):
        raise UnsupportedOperator("%s: is a fitting state (ligo.fit.*), not an operator file (--operator-out)" % path)
    unknown = sorted(k for k in meta if k not in known)
    if unknown:
        raise UnsupportedOperator("%s: metadata this module does not know: %s" % (path, ", ".join(unknown)))
    missing = [k for k in GROW_KEYS if "ligo.grow." + k not in meta and k != "noise"]
    if missing:
        raise FormatError("%s: not an operator file: ligo.grow.%s is missing" % (path, missing[0]))
    large = lt.Config.from_metadata(meta)
    method = meta["ligo.grow.method"]
    if method not in METHODS:
        raise FormatError("%s: unknown method %r" % (path, method))
    if method not in SUPPORTED:
        raise UnsupportedOperator("%s: method %s is not supported (ligo saves no operator for it)" % (path, method))
    opt = {"method": method}
    for k in ("small_layers", "small_dim", "small_ffn"):
        opt[k] = _meta_int(meta, "ligo.grow." + k)
    for k in ("full_width", "width_first", "grow_head_dim", "residual"):
        opt[k] = _meta_int(meta, "ligo.grow." + k, (0, 1))
    try:
        opt["noise"] = float(meta.get("ligo.grow.noise", "0"))
    except ValueError:
        raise FormatError("%s: ligo.grow.noise is %r" % (path, meta["ligo.grow.noise"]))
    if not (0.0 <= opt["noise"] <= 1.0):
        raise FormatError("%s: ligo.grow.noise is %r (want 0 to 1)" % (path, meta["ligo.grow.noise"]))
    return meta, tensors, large, opt


def _check_pair(small, large, opt, what):
    if small.family != large.family:
        raise FormatError("%s: the operator grows a %s model, the small checkpoint is %s" % (what, large.family,
                                                                                           small.family))
    for k, v in (("small_layers", small.n_layer), ("small_dim", small.d_model), ("small_ffn", small.d_ff)):
        if opt[k] != v:
            raise FormatError("%s: the operator's %s is %d, the small checkpoint's %d" % (what, k, opt[k], v))
    for k in ("vocab", "ctx_len", "image_h", "image_w", "patch", "n_classes"):
        if getattr(small, k) != getattr(large, k):
            raise FormatError("%s: the large %s %d differs from the small model's %d" % (what, k, getattr(large, k),
                                                                                       getattr(small, k)))
    if large.n_layer < small.n_layer or large.d_model < small.d_model or large.d_ff < small.d_ff:
        raise FormatError("%s: the large model is smaller than the small one" % what)
    if opt["grow_head_dim"]:
        if large.n_head != small.n_head:
            raise FormatError("%s: grow_head_dim keeps the head count (large %d, small %d)" % (what, large.n_head,
                                                                                             small.n_head))
    elif large.d_model // large.n_head != small.d_model // small.n_head:
        raise FormatError("%s: the head dimension differs" % what)
    if opt["method"] == "aki" and opt["grow_head_dim"] and large.d_model > small.d_model:
        raise FormatError("%s: aki cannot grow the head dimension" % what)


def grow_model(small_path, operator_path):
    """(large lt.Config, {name: float32 tensor} in ligo's checkpoint names
    and layouts): the large model `ligo grow` materialises from the small
    checkpoint and the operator."""
    meta, op, large, opt = read_operator(operator_path)
    return large, _materialise(small_path, large, opt, op, operator_path)


def grow_fixed(small_path, large, method, grow_head_dim=False):
    """A fixed method's large model without an operator file, as `ligo grow
    --method M --symmetry-noise 0` makes it (ligo then saves no operator:
    there is nothing learned or drawn): stack, interlace, fpi or aki to the
    lt.Config `large`. Returns {name: float32 tensor} as grow does."""
    if method not in ("stack", "interlace", "fpi", "aki"):
        raise UnsupportedOperator("grow_fixed: method %s %s" % (method, "learns its operator: give grow its file"
                                                               if method in SUPPORTED else "is not supported"))
    smeta, _ = lt.read_safetensors(small_path)
    small = lt.Config.from_metadata(smeta)
    opt = {"method": method, "small_layers": small.n_layer, "small_dim": small.d_model, "small_ffn": small.d_ff,
           "full_width": 0, "width_first": 0, "grow_head_dim": int(bool(grow_head_dim)), "residual": 0, "noise": 0.0}
    return _materialise(small_path, large, opt, {}, "grow_fixed")


def _materialise(small_path, large, opt, op, operator_path):
    got, build = _plan(small_path, large, opt, op, operator_path)
    return build(got)


def _plan(small_path, large, opt, op, operator_path):
    """Everything checked and the fixed parts made once: (the operator's
    tensors in float64 by name, build), where build(tensors) materialises
    the large model from such a dict, differentiably in its values."""
    smeta, stensors = lt.read_safetensors(small_path)
    if "ligo.model" in smeta:
        raise UnsupportedOperator("%s: a model definition of one's own (ligo.model = %s)" % (small_path,
                                                                                             smeta["ligo.model"]))
    small = lt.Config.from_metadata(smeta)
    _check_pair(small, large, opt, operator_path)
    method = opt["method"]
    lw = method in ("ligo", "ligo-width")
    ld = method in ("ligo", "ligo-depth")
    full = opt["full_width"]
    width_first = opt["width_first"] if lw else 0
    if opt["width_first"] and not lw:
        raise FormatError("%s: width_first = 1 with method %s (ligo saves 0: fixed width)" % (operator_path, method))
    L1, L2 = small.n_layer, large.n_layer
    sp, lp = table(small), table(large)
    S = from_file(sp, stensors, small_path)
    sinfo = {p.name: p for p in sp}

    # the tensors the file must hold (state.c, ligo__pieces), then read
    expect = OrderedDict()
    factors = _factors(large, small, lw, width_first, opt["grow_head_dim"])
    for k, f in enumerate(factors):
        if f.big == f.small:
            continue
        if lw:
            hb, hs = f.big // f.heads, f.small // f.heads
            expect["width.%s.%s" % (f.name, "B" if full else "C")] = ((f.heads * (hb if full else hb - hs), hs),
                                                                     "width.%d.%s" % (k, "B" if full else "C"))
        else:
            fpi = method == "fpi"
            scale = _f32(math.sqrt(f.small / f.big)) if fpi and f.heads > 1 and f.stream == "q" else 1.0
            _fixed(f, fpi or method == "aki", scale)
    def has_part(mi, kind):
        """the small schema has module mi's weight (kind 0) or bias (1)"""
        return any(q.layer == 0 and (q.module == mi or (q.module == QKV and mi in (Q, K, V))) and q.bias == kind
                   for q in sp)

    if ld:
        for mi, m in enumerate(MOD_NAMES):
            for kind in (0, 1):
                if has_part(mi, kind):
                    expect["depth.%s.%s" % (m, "wb"[kind])] = ((L2, L1), None)

    def small_counterpart(p):
        if p.layer >= 0:
            return next((q for q in sp if q.layer == 0 and q.module == p.module and q.bias == p.bias), None)
        return sinfo.get(p.name)

    widened = {p.name: (small_counterpart(p) is None or small_counterpart(p).n != p.n) for p in lp}
    if opt["residual"]:
        for p in lp:
            expect["residual." + p.name] = (p.shape, None)
    if opt["noise"] != 0.0:
        if lw or (large.d_model == small.d_model and large.d_ff == small.d_ff):
            raise FormatError("%s: noise %g where ligo draws none" % (operator_path, opt["noise"]))
        for p in lp:
            if widened[p.name]:
                expect["noise." + p.name] = (p.shape, None)
    got = {}
    for name, (shape, legacy) in expect.items():
        t = op.get(name)
        if t is None and legacy is not None:
            t = op.get(legacy)
        if t is None:
            raise FormatError("%s: has no tensor %s" % (operator_path, name))
        if tuple(t.shape) != tuple(shape):
            raise FormatError("%s: %s is %s, want %s" % (operator_path, name, list(t.shape), list(shape)))
        got[name] = t.double()
    legacy_names = {lg for (_, lg) in expect.values() if lg}
    extra = sorted(k for k in op if k not in expect and k not in legacy_names)
    if extra or len(op) != len(expect):
        raise UnsupportedOperator("%s: tensors this operator should not hold: %s" % (operator_path,
                                                                                      ", ".join(extra[:5]) or "?"))
    return got, lambda tensors: _build(tensors, small, large, opt, sp, lp, S, factors, widened, has_part)


def _build(got, small, large, opt, sp, lp, S, factors, widened, has_part):
    method = opt["method"]
    lw = method in ("ligo", "ligo-width")
    ld = method in ("ligo", "ligo-depth")
    full = opt["full_width"]
    width_first = opt["width_first"] if lw else 0
    L1, L2 = small.n_layer, large.n_layer
    if lw:
        for f in factors:
            if f.big != f.small:
                _learned(f, got["width.%s.%s" % (f.name, "B" if full else "C")], full)
    fac = {}
    for f in factors:
        fac[(f.stream, f.layer)] = f

    def factor(stream, layer):
        if stream == "fixed":
            return None
        f = fac.get((stream, layer if stream in ("q", "k", "v", "ffn") else -1))
        return f if f is not None and f.out is not None else None

    # depth coefficients (L2 x L1) per module and kind
    coef = {}
    for mi, m in enumerate(MOD_NAMES):
        for kind in (0, 1):
            if not has_part(mi, kind):
                continue
            if ld:
                coef[(mi, kind)] = got["depth.%s.%s" % (m, "wb"[kind])]
                continue
            w = _onehot(L2, L1, method in ("interlace", "fpi"))
            sm = next(q for q in sp if q.layer == 0 and (q.module == mi or (q.module == QKV and mi in (Q, K, V)))
                      and q.bias == kind)
            if method == "fpi" and sm.flags & ROUT:
                for i in range(1, L2):
                    if i * L1 // L2 == (i - 1) * L1 // L2:
                        w[i] = 0.0
            coef[(mi, kind)] = w
    nxt = None
    if method == "aki":
        nxt = torch.zeros(L2, L1, dtype=torch.float64)
        for i in range(L2):
            nxt[i, (i % L1 + 1) % L1] = 1.0

    def module_part(params, T, layer, mi, kind):
        """(param, rows of module mi's part in layer `layer`)."""
        for q in params:
            if q.layer == layer and q.bias == kind and (q.module == mi or (q.module == QKV and mi in (Q, K, V))):
                if q.module == QKV:
                    r = q.shape[0] // 3
                    j = mi - Q
                    return q, T[q.name][j * r:(j + 1) * r] if T is not None else None
                return q, T[q.name] if T is not None else None
        return None, None

    def expand(x, xn, out, inn):
        if out is not None:
            if xn is None:
                x = out.out @ x
            else:
                x = torch.cat([x, out.out[x.shape[0]:] @ xn], 0)
        if inn is not None:
            x = x @ inn.inn.t()
        return x

    def widen(p, mi, layer, x, xn):
        rs = ("q", "k", "v")[mi - Q] if p.module == QKV else p.streams[0]
        rows = factor(rs, layer)
        if p.ndim == 1:
            if rows is None:
                return x
            return expand(x.reshape(-1, 1), None if xn is None else xn.reshape(-1, 1), rows, None).reshape(-1)
        if p.flags & EMBED:
            f = factor(p.streams[1], layer)
            return x if f is None else x @ f.out.t()
        return expand(x, xn, rows, factor(p.streams[1], layer))

    mods = {}
    for mi in range(len(MOD_NAMES)):
        for kind in (0, 1):
            p, _ = module_part(lp, None, 0, mi, kind)
            ps, _ = module_part(sp, None, 0, mi, kind)
            if p is None or ps is None:
                continue
            stack = torch.stack([module_part(sp, S, j, mi, kind)[1] for j in range(L1)], 0)  # (L1, r1[, c1])
            flat = stack.reshape(L1, -1)
            wp, _ = module_part(sp, None, 0, mi, 0)
            nstack = (nxt @ flat).reshape((L2,) + stack.shape[1:]) if nxt is not None and wp.ndim == 2 else None
            if not width_first:
                blend = (coef[(mi, kind)] @ flat).reshape((L2,) + stack.shape[1:])
                for i in range(L2):
                    mods[(i, mi, kind)] = widen(p, mi, i, blend[i], None if nstack is None else nstack[i])
            else:
                wide = torch.stack([widen(p, mi, j, stack[j], None).reshape(-1) for j in range(L1)], 0)
                blend = coef[(mi, kind)] @ wide
                for i in range(L2):
                    r2 = p.shape[0] // 3 if p.module == QKV else p.shape[0]
                    mods[(i, mi, kind)] = blend[i].reshape((r2, p.shape[1]) if p.ndim == 2 else (r2,))

    ln_f_scale = 1.0
    if method == "fpi":
        ln_f_scale = float(torch.tensor(small.d_model, dtype=torch.float32) /
                           torch.tensor(large.d_model, dtype=torch.float32))
    W = {}
    for p in lp:
        if p.layer >= 0:
            if p.module == QKV:
                W[p.name] = torch.cat([mods[(p.layer, Q, p.bias)], mods[(p.layer, K, p.bias)],
                                       mods[(p.layer, V, p.bias)]], 0)
            else:
                W[p.name] = mods[(p.layer, p.module, p.bias)]
        else:
            W[p.name] = widen(p, -1, -1, S[p.name], None)
            if p.flags & TIED and ln_f_scale != 1.0:
                W[p.name] = W[p.name] * ln_f_scale
        if tuple(W[p.name].shape) != p.shape:
            raise RuntimeError("%s came out %s, want %s" % (p.name, list(W[p.name].shape), list(p.shape)))
        if opt["residual"]:
            W[p.name] = W[p.name] + got["residual." + p.name]
        if opt["noise"] != 0.0 and widened[p.name]:
            W[p.name] = W[p.name] + got["noise." + p.name]
    return to_file(lp, W)


def grow(small_path, operator_path):
    """{name: float32 tensor}: the large model, in ligo's checkpoint names
    and layouts (what ligo_torch.load reads)."""
    return grow_model(small_path, operator_path)[1]


def save(large, tensors, path):
    """Write the grown tensors as a ligo checkpoint."""
    lt.write_safetensors(path, tensors, large.metadata())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Materialise a ligo operator in PyTorch (as `ligo grow` does).")
    ap.add_argument("--from", dest="small", required=True, help="the small model's checkpoint")
    ap.add_argument("--operator", required=True, help="the operator (ligo grow --operator-out)")
    ap.add_argument("--out", required=True, help="the large model's checkpoint")
    a = ap.parse_args(argv)
    try:
        large, t = grow_model(a.small, a.operator)
    except FormatError as e:
        print("ligo_grow_torch: %s" % e, file=sys.stderr)
        return 1
    save(large, t, a.out)
    print('{"command":"grow-torch","ok":true,"family":"%s","out":"%s"}' % (large.family, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
