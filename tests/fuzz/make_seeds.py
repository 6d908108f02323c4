#!/usr/bin/env python3
"""Seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

    python3 tests/fuzz/make_seeds.py [build/ligo]

Inputs are small (the fuzz runs use -max_len=16384) and cover each format's
features: safetensors with metadata, several dims, a 0-dim and a zero-size
tensor, tiny GPT/BERT/ViT checkpoints written by the ligo tool (model and
training state); gzip members of every block type and header flag, IDX
image/label pairs plain and gzipped; GPT-2 token files; command lines of
every subcommand; operator files, fitting states and trainer checkpoints
that fit the fixed operators and trainers of fuzz_grow.h, written by
make_state_seeds.c (built here with cc unless given). Run from the
repository root; the tool is used for the checkpoints when it exists (make
build/ligo first).

    python3 tests/fuzz/make_seeds.py [build/ligo [build/fuzz/make_state_seeds]]
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, meta=None):
    """tensors: [(name, shape, floats)] -> bytes (F32, consecutive offsets)."""
    header, body, at = {}, b"", 0
    if meta:
        header["__metadata__"] = meta
    for name, shape, vals in tensors:
        raw = struct.pack("<%df" % len(vals), *vals)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [at, at + len(raw)]}
        body += raw
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + body


def seeds_safetensors(tool):
    put("safetensors", "empty", safetensors([]))
    put("safetensors", "one", safetensors([("a", [2, 3], [1, 2, 3, 4, 5, 6])], {"format": "pt"}))
    put("safetensors", "dims", safetensors([("s", [], [7]), ("z", [0, 4], []), ("d4", [1, 2, 1, 2], [1, 2, 3, 4]),
                                            ("u\u00e9\\n", [1], [0.5])], {"k": "v", "esc": "a\"b\\u0001"}))
    h = b'{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}'
    put("safetensors", "f16", struct.pack("<Q", len(h)) + h + b"\0" * 4)
    h = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":[1,{"b":null},true,-1.5e3]}}'
    put("safetensors", "extra_keys", struct.pack("<Q", len(h)) + h + b"\0" * 4)
    for name in ("basic", "foreign"):
        p = os.path.join(ROOT, "tests", "io", name + ".safetensors")
        if os.path.exists(p):
            shutil.copy(p, os.path.join(CORPUS, "safetensors", name))
    if not tool:
        return
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "t.txt")
        with open(text, "wb") as f:
            f.write(bytes(range(256)) * 4)
        imgs = os.path.join(tmp, "img")
        os.makedirs(imgs)
        idx_pair(imgs, "train", 4, 28, 28)
        idx_pair(imgs, "t10k", 2, 28, 28)
        runs = {
            "gpt": ["--family", "gpt", "--data", text, "--ctx", "4"],
            "bert": ["--family", "bert", "--data", text, "--ctx", "4"],
            "vit": ["--family", "vit", "--data", imgs, "--patch", "14"],
        }
        for fam, args in runs.items():
            out = os.path.join(tmp, fam + ".safetensors")
            # vocabulary 256 (GPT) or 257 (BERT) at width 2 keeps the files small
            subprocess.run([tool, "train"] + args + ["--layers", "1", "--dim", "2", "--heads", "1", "--ffn", "2",
                                                     "--batch", "1", "--steps", "1", "--warmup", "0", "--out", out,
                                                     "--quiet", "--threads", "1"],
                           check=True, stdout=subprocess.DEVNULL)
            with open(out, "rb") as f:
                put("safetensors", "ckpt_" + fam, f.read())


def idx_pair(d, prefix, n, rows, cols):
    with open(os.path.join(d, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 37) % 256 for i in range(n * rows * cols)))
    with open(os.path.join(d, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))


def seeds_idx():
    data = os.path.join(ROOT, "tests", "data")
    for name in sorted(os.listdir(data)):
        if name.endswith(".gz"):
            with open(os.path.join(data, name), "rb") as f:
                put("idx", "gz_" + name, b"\0" + f.read())
    put("idx", "gz_level1", b"\0" + gzip.compress(b"abcabcabc" * 40 + bytes(range(256)), 1))
    # raw deflate variants in a gzip wrapper: stored, fixed (Z_FIXED), dynamic
    for strat, nm in ((zlib.Z_FIXED, "fixed"), (zlib.Z_HUFFMAN_ONLY, "huff"), (zlib.Z_RLE, "rle")):
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strat)
        raw = b"hello hello hello world " * 20
        body = c.compress(raw) + c.flush()
        member = b"\x1f\x8b\x08\x00\0\0\0\0\x00\xff" + body + struct.pack("<II", zlib.crc32(raw), len(raw))
        put("idx", "gz_" + nm, b"\0" + member)
    img = struct.pack(">IIII", 0x803, 3, 2, 2) + bytes([0, 255, 128, 1] * 3)
    lbl = struct.pack(">II", 0x801, 3) + bytes([0, 1, 9])
    put("idx", "pair", b"\1" + struct.pack("<I", len(img)) + img + lbl)
    gi, gl = gzip.compress(img), gzip.compress(lbl)
    put("idx", "pair_gz", b"\1" + struct.pack("<I", len(gi)) + gi + gl)
    put("idx", "pair_mixed", b"\1" + struct.pack("<I", len(img)) + img + gl)
    for a, b in (("images.idx", "labels.idx"), ("images.idx.gz", "labels.idx.gz")):
        with open(os.path.join(data, a), "rb") as f:
            x = f.read()
        with open(os.path.join(data, b), "rb") as f:
            y = f.read()
        put("idx", "pair_" + a.replace(".", "_"), b"\1" + struct.pack("<I", len(x)) + x + y)


def gpt2(tokens, magic=20240520, version=1, count=None):
    head = [magic, version, len(tokens) if count is None else count] + [0] * 253
    return struct.pack("<256i", *head) + struct.pack("<%dH" % len(tokens), *tokens)


def seeds_gpt2():
    put("gpt2", "small", gpt2(list(range(30))))
    put("gpt2", "big_ids", gpt2([50256, 0, 65535, 3, 7] * 6))
    put("gpt2", "two", gpt2([1, 2]))
    put("gpt2", "trunc", gpt2(list(range(10)), count=20))


def seeds_tool():
    lines = [
        ["--help"], ["--version"], ["train", "--help"],
        ["train", "--family", "gpt", "--data", "x.txt", "--layers", "2", "--dim", "64", "--heads", "2", "--ctx", "32",
         "--batch", "4", "--steps", "10", "--lr", "3e-4", "--decay", "linear", "--ckpt-every", "5", "--out", "o",
         "--resume", "o", "--csv", "c", "--quiet", "--threads", "1", "--seed", "9223372036854775807"],
        ["train", "--family", "vit", "--patch", "7", "--wd", "0", "--beta2", "0.999", "--clip", "0", "--target-loss",
         "1.5", "--eval-every", "10", "--eval-windows", "4", "--warmup", "0", "--lr-min", "0", "--ffn", "0"],
        ["eval", "--model", "m", "--data", "d", "--ctx", "0", "--batch", "2", "--windows", "3", "--threads", "2"],
        ["sample", "--model", "m", "--prompt", "hi", "--tokens", "5", "--temperature", "0", "--seed", "3"],
        ["grow", "--from", "s", "--data", "d", "--method", "ligo-width", "--fit-steps", "5", "--fit-lr", "0.01",
         "--full-width", "--depth-init", "interlace", "--width-init", "sel_noisy", "--no-noise", "--steps", "3",
         "--operator-out", "op", "--layers", "4", "--dim", "128", "--heads", "4", "--fit-warmup", "2"],
        ["export", "--model", "m", "--hf", "dir"],
        ["bench", "growth", "--quick"],
        ["train", "--layers", "x"], ["train", "--dim", "1e99"], ["train", "--lr", "nan"], ["grow", "--method", "bogus"],
        ["frobnicate"],
        ["grow", "--from", "s", "--data", "d", "--steps", "4", "--ckpt-every", "2", "--fit-ckpt", "f.safetensors",
         "--resume", "--out", "o.safetensors"],
    ]
    for i, argv in enumerate(lines):
        put("tool", "argv%02d" % i, b"\0".join(a.encode() for a in argv))


def seeds_state(gen):
    """operator/ and trainer_state/: the generator writes them."""
    for t in ("operator", "trainer_state"):
        os.makedirs(os.path.join(CORPUS, t), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if not gen:
            gen = os.path.join(tmp, "make_state_seeds")
            subprocess.run(["cc", "-std=c99", "-O1", "-o", gen, os.path.join(ROOT, "tests", "fuzz", "make_state_seeds.c"),
                            "-lm", "-lpthread"], check=True)
        subprocess.run([os.path.abspath(gen), CORPUS], check=True, cwd=tmp)


def main():
    tool = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ligo")
    if not os.path.exists(tool):
        print("make_seeds: %s not found: no checkpoint seeds" % tool)
        tool = None
    seeds_safetensors(tool)
    seeds_idx()
    seeds_gpt2()
    seeds_tool()
    seeds_state(sys.argv[2] if len(sys.argv) > 2 else None)
    for t in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, t))
        print("%s: %d seeds, largest %d bytes" % (t, len(files),
                                                  max(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)))


if __name__ == "__main__":
    main()
