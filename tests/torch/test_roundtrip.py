#!/usr/bin/env python3
"""The PyTorch round trip and the Hugging Face export, for GPT, BERT, ViT
and LLaMA (grouped KV heads with a tied head, and ordinary heads with an
untied one).

    /usr/bin/python3 tests/torch/test_roundtrip.py --build build

For each family: train a tiny model for a few steps with `build/ligo train`;
load it with tools/ligo_torch.py; on one batch, ligo's logits and loss
(build/ligo_dump, i.e. ligo_model_loss) must match the PyTorch model's,
computed in float64, to 1e-5 relative. Then PyTorch trains two AdamW steps
and writes the model in ligo's format; ligo's logits and loss on that file
must match PyTorch's again, and `ligo eval` on it must give the loss that
tools/ligo_torch.py computes for the same windows (GPT, ViT). Last,
`ligo export --hf` must write config.json and model.safetensors with the
key names and shapes of Hugging Face's GPT2LMHeadModel, BertForMaskedLM,
ViTForImageClassification and LlamaForCausalLM (lists written below from those classes'
state dicts, not from ligo), and the export loaded into the PyTorch model
(GPT-2's Conv1D (in, out) weights used as x W + b) must give ligo's logits.
"""
import argparse
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import ROOT, check, counts, make_images, run  # noqa: E402
import ligo_torch as lt  # noqa: E402

TOL = 1e-5


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def rel_err(a, ref):
    """max |a - ref| / max |ref|: a relative error that a few tiny logits
    near zero cannot inflate."""
    a, ref = a.double(), ref.double()
    return float((a - ref).abs().max() / ref.abs().max().clamp_min(1e-30))


def make_batch(cfg, g):
    """One batch for ligo_dump (float32 tensors) and for PyTorch (ids)."""
    if cfg.family == "vit":
        images = torch.rand(5, cfg.image_h, cfg.image_w, generator=g)
        targets = torch.randint(0, cfg.n_classes, (5,), generator=g)
        return {"images": images, "targets": targets}
    B, T = 3, cfg.ctx_len - 3  # shorter than the context: positions 0..T-1
    inputs = torch.randint(0, 256, (B, T), generator=g)
    if cfg.family in ("gpt", "llama"):
        targets = torch.randint(0, 256, (B, T), generator=g)
    else:
        inputs, targets = lt.mlm_mask(inputs, cfg.vocab - 1, 256, g, frac=0.3)
        targets[0, 0] = inputs[0, 0] = 7  # at least one counted position
    return {"inputs": inputs, "targets": targets}


def torch_logits(model, batch):
    x = batch["images"].to(next(model.parameters()).dtype) if "images" in batch else batch["inputs"]
    logits = model(x)
    return logits.reshape(-1, logits.shape[-1]), lt.loss_fn(logits, batch["targets"])


def ligo_logits(build, model_path, batch, tmp):
    bp, op = os.path.join(tmp, "batch.safetensors"), os.path.join(tmp, "dump.safetensors")
    lt.write_safetensors(bp, {k: v.float() for k, v in batch.items()})
    run([os.path.join(build, "ligo_dump"), model_path, bp, op])
    _, t = lt.read_safetensors(op)
    return t["logits"], float(t["loss"][0])


def compare(tag, build, path, model, batch, tmp):
    """ligo (float32) against PyTorch (float64) on one batch."""
    lg, ll = ligo_logits(build, path, batch, tmp)
    m64 = model.double() if next(model.parameters()).dtype != torch.float64 else model
    with torch.no_grad():
        tg, tl = torch_logits(m64, batch)
    e1 = rel_err(lg, tg)
    e2 = abs(ll - float(tl)) / abs(float(tl))
    check("%s logits" % tag, e1 <= TOL, "rel %.2e (ligo vs PyTorch float64, %s)" % (e1, "x".join(map(str, lg.shape))))
    check("%s loss" % tag, e2 <= TOL, "ligo %.7f PyTorch %.7f rel %.2e" % (ll, float(tl), e2))
    return ll


# ------------------------------------------------------- Hugging Face keys

def hf_gpt2_keys(c):
    """GPT2LMHeadModel's transformer keys (as the hub's model.safetensors
    stores them, without "transformer."): Conv1D weights are (in, out)."""
    C, F_, V, P = c["n_embd"], c["n_inner"] or 4 * c["n_embd"], c["vocab_size"], c["n_positions"]
    k = {"wte.weight": [V, C], "wpe.weight": [P, C], "ln_f.weight": [C], "ln_f.bias": [C]}
    for i in range(c["n_layer"]):
        h = "h.%d." % i
        k.update({h + "ln_1.weight": [C], h + "ln_1.bias": [C],
                  h + "attn.c_attn.weight": [C, 3 * C], h + "attn.c_attn.bias": [3 * C],
                  h + "attn.c_proj.weight": [C, C], h + "attn.c_proj.bias": [C],
                  h + "ln_2.weight": [C], h + "ln_2.bias": [C],
                  h + "mlp.c_fc.weight": [C, F_], h + "mlp.c_fc.bias": [F_],
                  h + "mlp.c_proj.weight": [F_, C], h + "mlp.c_proj.bias": [C]})
    return k


def hf_bert_keys(c):
    """BertForMaskedLM (no pooler); the decoder is tied to the word embeddings."""
    C, F_, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    e = "bert.embeddings."
    k = {e + "word_embeddings.weight": [V, C], e + "position_embeddings.weight": [c["max_position_embeddings"], C],
         e + "token_type_embeddings.weight": [c["type_vocab_size"], C], e + "LayerNorm.weight": [C],
         e + "LayerNorm.bias": [C], "cls.predictions.bias": [V],
         "cls.predictions.transform.dense.weight": [C, C], "cls.predictions.transform.dense.bias": [C],
         "cls.predictions.transform.LayerNorm.weight": [C], "cls.predictions.transform.LayerNorm.bias": [C]}
    for i in range(c["num_hidden_layers"]):
        L = "bert.encoder.layer.%d." % i
        for q in ("query", "key", "value"):
            k[L + "attention.self.%s.weight" % q] = [C, C]
            k[L + "attention.self.%s.bias" % q] = [C]
        k.update({L + "attention.output.dense.weight": [C, C], L + "attention.output.dense.bias": [C],
                  L + "attention.output.LayerNorm.weight": [C], L + "attention.output.LayerNorm.bias": [C],
                  L + "intermediate.dense.weight": [F_, C], L + "intermediate.dense.bias": [F_],
                  L + "output.dense.weight": [C, F_], L + "output.dense.bias": [C],
                  L + "output.LayerNorm.weight": [C], L + "output.LayerNorm.bias": [C]})
    return k


def hf_vit_keys(c):
    """ViTForImageClassification (no pooler)."""
    C, F_, P = c["hidden_size"], c["intermediate_size"], c["patch_size"]
    N = (c["image_size"] // P) ** 2
    e = "vit.embeddings."
    k = {e + "cls_token": [1, 1, C], e + "position_embeddings": [1, N + 1, C],
         e + "patch_embeddings.projection.weight": [C, c["num_channels"], P, P],
         e + "patch_embeddings.projection.bias": [C], "vit.layernorm.weight": [C], "vit.layernorm.bias": [C],
         "classifier.weight": [c["num_labels"], C], "classifier.bias": [c["num_labels"]]}
    for i in range(c["num_hidden_layers"]):
        L = "vit.encoder.layer.%d." % i
        for q in ("query", "key", "value"):
            k[L + "attention.attention.%s.weight" % q] = [C, C]
            k[L + "attention.attention.%s.bias" % q] = [C]
        k.update({L + "attention.output.dense.weight": [C, C], L + "attention.output.dense.bias": [C],
                  L + "intermediate.dense.weight": [F_, C], L + "intermediate.dense.bias": [F_],
                  L + "output.dense.weight": [C, F_], L + "output.dense.bias": [C],
                  L + "layernorm_before.weight": [C], L + "layernorm_before.bias": [C],
                  L + "layernorm_after.weight": [C], L + "layernorm_after.bias": [C]})
    return k


def hf_llama_keys(c):
    """LlamaForCausalLM: nn.Linear weights (out, in), no biases; lm_head
    only when the head is not tied (tie_word_embeddings false)."""
    C, F_, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    K = c["num_key_value_heads"] * (C // c["num_attention_heads"])
    k = {"model.embed_tokens.weight": [V, C], "model.norm.weight": [C]}
    if not c["tie_word_embeddings"]:
        k["lm_head.weight"] = [V, C]
    for i in range(c["num_hidden_layers"]):
        L = "model.layers.%d." % i
        k.update({L + "input_layernorm.weight": [C], L + "post_attention_layernorm.weight": [C],
                  L + "self_attn.q_proj.weight": [C, C], L + "self_attn.k_proj.weight": [K, C],
                  L + "self_attn.v_proj.weight": [K, C], L + "self_attn.o_proj.weight": [C, C],
                  L + "mlp.gate_proj.weight": [F_, C], L + "mlp.up_proj.weight": [F_, C],
                  L + "mlp.down_proj.weight": [C, F_]})
    return k


# config.json: architecture, model_type, and what each key must equal
TANH_GELU = ("gelu_new", "gelu_pytorch_tanh")


def hf_config_expect(cfg):
    if cfg.family == "gpt":
        return "GPT2LMHeadModel", "gpt2", {
            "vocab_size": cfg.vocab, "n_positions": cfg.ctx_len, "n_embd": cfg.d_model, "n_layer": cfg.n_layer,
            "n_head": cfg.n_head, "n_inner": cfg.d_ff}, "activation_function", "layer_norm_epsilon", hf_gpt2_keys
    if cfg.family == "bert":
        return "BertForMaskedLM", "bert", {
            "vocab_size": cfg.vocab, "hidden_size": cfg.d_model, "num_hidden_layers": cfg.n_layer,
            "num_attention_heads": cfg.n_head, "intermediate_size": cfg.d_ff,
            "max_position_embeddings": cfg.ctx_len, "type_vocab_size": 1}, "hidden_act", "layer_norm_eps", hf_bert_keys
    if cfg.family == "llama":
        return "LlamaForCausalLM", "llama", {
            "vocab_size": cfg.vocab, "hidden_size": cfg.d_model, "intermediate_size": cfg.d_ff,
            "num_hidden_layers": cfg.n_layer, "num_attention_heads": cfg.n_head, "num_key_value_heads": cfg.n_kv_head,
            "max_position_embeddings": cfg.ctx_len, "rope_theta": cfg.rope_theta,
            "tie_word_embeddings": not cfg.untied_head, "attention_bias": False, "mlp_bias": False,
            "rope_scaling": None}, "hidden_act", "rms_norm_eps", hf_llama_keys
    return "ViTForImageClassification", "vit", {
        "hidden_size": cfg.d_model, "num_hidden_layers": cfg.n_layer, "num_attention_heads": cfg.n_head,
        "intermediate_size": cfg.d_ff, "image_size": cfg.image_h, "patch_size": cfg.patch, "num_channels": 1,
        "num_labels": cfg.n_classes, "qkv_bias": True}, "hidden_act", "layer_norm_eps", hf_vit_keys


def check_export(tag, build, ckpt, cfg, batch, tmp):
    d = os.path.join(tmp, "hf_" + tag)
    out = last_json(run([os.path.join(build, "ligo"), "export", "--model", ckpt, "--hf", d]))
    check("%s export runs" % tag, out.get("ok") is True)
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    arch, mtype, want, act_key, eps_key, keys_fn = hf_config_expect(cfg)
    check("%s config.json architecture" % tag, c.get("architectures") == [arch] and c.get("model_type") == mtype,
          "%s / %s" % (c.get("architectures"), c.get("model_type")))
    bad = {k: (c.get(k), v) for k, v in want.items() if c.get(k) != v}
    check("%s config.json sizes" % tag, not bad, "mismatched: %s" % bad if bad else "(%d keys)" % len(want))
    acts = ("silu",) if cfg.family == "llama" else TANH_GELU
    check("%s config.json activation is %s" % (tag, acts[0]), c.get(act_key) in acts, str(c.get(act_key)))
    check("%s config.json LayerNorm eps" % tag, abs(c.get(eps_key, 0) - cfg.ln_eps) <= 1e-6 * cfg.ln_eps,
          "%s = %s" % (eps_key, c.get(eps_key)))
    _, t = lt.read_safetensors(os.path.join(d, "model.safetensors"))
    expect = keys_fn(c)
    missing = sorted(set(expect) - set(t))
    extra = sorted(set(t) - set(expect))
    check("%s export key names" % tag, not missing and not extra,
          "missing %s extra %s" % (missing[:4], extra[:4]) if (missing or extra) else "(%d tensors)" % len(expect))
    wrong = [(k, list(t[k].shape), v) for k, v in expect.items() if k in t and list(t[k].shape) != v]
    check("%s export shapes" % tag, not wrong, str(wrong[:3]) if wrong else "")
    # the export's numbers: loaded into the PyTorch model, ligo's logits
    model = lt.build(cfg)
    extra_ok = ()
    if cfg.family == "bert":
        tt = t.get("bert.embeddings.token_type_embeddings.weight")
        check("%s token_type_embeddings are zero" % tag, tt is not None and float(tt.abs().max()) == 0.0)
        extra_ok = ("bert.embeddings.token_type_embeddings.weight",)
    try:
        lt.load_tensors(model, t, "export", extra_ok)
    except lt.FormatError as e:
        check("%s export loads into the PyTorch model" % tag, False, str(e))
        return
    compare("%s export" % tag, build, ckpt, model, batch, tmp)


# the LLaMA cases: grouped KV heads with the head tied to the embedding,
# and ordinary heads with an untied lm_head
LLAMA_ARGS = {"llama": ["--heads", "4", "--kv-heads", "2", "--rope-theta", "500"],
              "llama-untied": ["--heads", "4", "--untied-head"]}


def family_case(fam, build, tmp, data):
    print("%s:" % fam)
    g = torch.Generator().manual_seed({"gpt": 1, "bert": 2, "vit": 3, "llama": 4, "llama-untied": 5}[fam])
    ckpt = os.path.join(tmp, fam + ".safetensors")
    cmd = [os.path.join(build, "ligo"), "train", "--family", fam.split("-")[0], "--data", data, "--layers", "2",
           "--dim", "32", "--batch", "4", "--steps", "6", "--warmup", "2", "--lr", "1e-2", "--eval-windows", "4",
           "--out", ckpt, "--quiet"] + LLAMA_ARGS.get(fam, ["--heads", "2"])
    if fam != "vit":
        cmd += ["--ctx", "16"]
    tr = last_json(run(cmd))
    check("%s ligo train" % fam, tr.get("ok") is True, "train loss %.4f after %d steps" % (tr["train_loss"], tr["steps"]))
    meta, tensors = lt.read_safetensors(ckpt)
    check("%s checkpoint holds optimizer state" % fam, any(k.startswith("ligo.optim.") for k in tensors))
    model = lt.load(ckpt)
    cfg = model.cfg
    batch = make_batch(cfg, g)
    l0 = compare("%s ligo->torch" % fam, build, ckpt, model, batch, tmp)

    # PyTorch trains, ligo reads
    model = lt.load(ckpt)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        lt.loss_fn(*torch_logits_raw(model, batch)).backward()
        opt.step()
    back = os.path.join(tmp, fam + "_torch.safetensors")
    lt.save(model, back)
    meta2, t2 = lt.read_safetensors(back)
    sd = model.state_dict()
    same = set(t2) == set(sd) and all(torch.equal(t2[k], sd[k]) for k in sd)
    check("%s written file holds the PyTorch weights bitwise" % fam, same)
    check("%s written metadata is ligo's" % fam,
          all(meta2.get(k) == v for k, v in meta.items() if k.startswith("ligo.") and not k.startswith("ligo.train")
              and not k.startswith("ligo.optim")), "")
    l1 = compare("%s torch->ligo" % fam, build, back, model, batch, tmp)
    # the comparison above is not of the file ligo wrote: AdamW at 1e-2 moves
    # every trained weight by about the rate (the loss itself may move
    # little, either way, on one batch)
    _, t0 = lt.read_safetensors(ckpt)
    moved = max(float((t2[k].double() - t0[k].double()).abs().max()) for k in t2 if k in t0)
    check("%s PyTorch's steps changed the weights" % fam, moved > 1e-3,
          "largest change %.3g (loss %.5f -> %.5f)" % (moved, l0, l1))

    # large random weights: every GELU, softmax and LayerNorm far from its
    # linear regime, so a wrong variant (erf GELU, another scale) shows
    rnd = lt.build(cfg)
    with torch.no_grad():
        for k, p in rnd.state_dict().items():
            p.normal_(1.0 if p.dim() == 1 and k.endswith("weight") else 0.0, 0.3, generator=g)
    rp = os.path.join(tmp, fam + "_random.safetensors")
    lt.save(rnd, rp)
    compare("%s random weights torch->ligo" % fam, build, rp, rnd, batch, tmp)

    # ligo eval on the PyTorch-written file
    ev = last_json(run([os.path.join(build, "ligo"), "eval", "--model", back, "--data", data, "--windows", "8"]))
    if fam != "bert":
        mine = lt.evaluate(lt.load(back, torch.float64), data, windows=8)
        e = abs(ev["val_loss"] - mine["val_loss"]) / mine["val_loss"]
        check("%s ligo eval = ligo_torch eval" % fam, e <= TOL + 1e-6 / mine["val_loss"],
              "ligo %.6f PyTorch %.7f (%d predictions each: %d)" % (ev["val_loss"], mine["val_loss"],
                                                                     ev["predictions"], mine["predictions"]))
        check("%s eval predictions" % fam, ev["predictions"] == mine["predictions"])
    else:
        check("%s ligo eval reads the PyTorch-written file" % fam, ev.get("ok") is True, "val_loss %.4f" % ev["val_loss"])

    check_export(fam, build, ckpt, cfg, batch, tmp)
    if cfg.family == "llama":
        hf = os.path.join(tmp, "hf_" + fam)
        back_hf = os.path.join(tmp, fam + "_imported.safetensors")
        imp = last_json(run([os.path.join(build, "ligo"), "import", "--hf", hf, "--out", back_hf]))
        m2 = lt.load(back_hf)
        sd0, sd1 = lt.load(ckpt).state_dict(), m2.state_dict()
        check("%s import --hf gives the checkpoint back" % fam,
              imp.get("ok") is True and vars(m2.cfg) == vars(cfg) and set(sd0) == set(sd1) and
              all(torch.equal(sd0[k], sd1[k]) for k in sd0), str(m2.cfg))

    # the README's commands: grow in ligo, continue in PyTorch, come back
    grown = os.path.join(tmp, fam + "_grown.safetensors")
    gr = last_json(run([os.path.join(build, "ligo"), "grow", "--from", ckpt, "--method", "fpi", "--data", data,
                        "--batch", "4", "--eval-windows", "4", "--quiet", "--out", grown] +
                       (["--ctx", "16"] if fam != "vit" else [])))
    big = lt.load(grown)
    check("%s grown model loads in PyTorch" % fam, gr.get("ok") is True and big.cfg.n_layer == 4 and
          big.cfg.d_model == 64, "%d layers, width %d" % (big.cfg.n_layer, big.cfg.d_model))
    compare("%s grown ligo->torch" % fam, build, grown, big, batch, tmp)
    tool = [sys.executable, os.path.join(ROOT, "tools", "ligo_torch.py")]
    cont = os.path.join(tmp, fam + "_continued.safetensors")
    out = last_json(run(tool + ["train", "--model", grown, "--data", data, "--steps", "3", "--batch", "4",
                                "--out", cont, "--device", "cpu"]))
    ev1 = last_json(run([os.path.join(build, "ligo"), "eval", "--model", cont, "--data", data, "--windows", "8"]))
    if fam != "bert":
        ev2 = last_json(run(tool + ["eval", "--model", cont, "--data", data, "--windows", "8", "--device", "cpu"]))
        e = abs(ev1["val_loss"] - ev2["val_loss"]) / ev2["val_loss"]
        check("%s ligo_torch.py train, then ligo eval = ligo_torch.py eval" % fam,
              out["ok"] and e <= TOL + 1e-6 / ev2["val_loss"], "%.6f vs %.7f" % (ev1["val_loss"], ev2["val_loss"]))
    else:
        check("%s ligo_torch.py train, then ligo eval" % fam, out["ok"] and ev1["ok"], "val_loss %.4f" % ev1["val_loss"])
    return model


def torch_logits_raw(model, batch):
    x = batch["images"] if "images" in batch else batch["inputs"]
    return model(x), batch["targets"]


def negative_checks(gpt_model, tmp):
    """The loader refuses what it must: a transposed Conv1D weight, a
    missing tensor, a file without ligo metadata."""
    print("bad input:")
    sd = {k: v.clone() for k, v in gpt_model.state_dict().items()}
    sd["h.0.mlp.c_fc.weight"] = sd["h.0.mlp.c_fc.weight"].t().contiguous()
    try:
        lt.load_tensors(lt.build(gpt_model.cfg), sd)
        check("transposed c_fc is refused", False)
    except lt.FormatError as e:
        check("transposed c_fc is refused", "h.0.mlp.c_fc.weight" in str(e), str(e))
    sd = dict(gpt_model.state_dict())
    del sd["ln_f.bias"]
    try:
        lt.load_tensors(lt.build(gpt_model.cfg), sd)
        check("a missing tensor is refused", False)
    except lt.FormatError as e:
        check("a missing tensor is refused", "ln_f.bias" in str(e), str(e))
    p = os.path.join(tmp, "nometa.safetensors")
    lt.write_safetensors(p, {"x": torch.zeros(2)})
    try:
        lt.load(p)
        check("a file without ligo metadata is refused", False)
    except lt.FormatError as e:
        check("a file without ligo metadata is refused", True, str(e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--families", default="gpt,bert,vit,llama,llama-untied")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="ligo_torch.") as tmp:
        images = make_images(tmp)
        text = os.path.join(ROOT, "README.md")
        gpt = None
        for fam in args.families.split(","):
            try:
                m = family_case(fam, build, tmp, images if fam == "vit" else text)
                if fam == "gpt":
                    gpt = m
            except Exception as e:  # a crash is a failure with its reason
                check("%s round trip ran" % fam, False, "%s: %s" % (type(e).__name__, e))
        if gpt is not None:
            negative_checks(gpt, tmp)
    print("test-torch: %d passed, %d failed (torch %s)" % (counts["passed"], counts["failed"], torch.__version__))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
