#!/usr/bin/env python3
"""run_hashes.py: fingerprints of fixed-seed runs, to show a refactor is
bitwise neutral.

    python3 tools/run_hashes.py [--ligo build/ligo] [--text FILE] [--images DIR] [--out hashes.txt]
    python3 tools/run_hashes.py --compare before.txt after.txt [--ignore-names]

Trains a small GPT, BERT and ViT for a few steps with fixed seeds (`ligo
train`), grows each with every method and trains the grown model a few
steps (`ligo grow ... --steps`), saving the learned operators, and prints
for every checkpoint the SHA-256 of each tensor's bytes and of the metadata
without its wall-time fields (keys ending in "seconds"), then one digest of
everything. Two builds that print the same digest wrote the same files up
to wall time. --compare names the first files and tensors that differ.
Standard library only; ViT runs when Fashion-MNIST is installed.
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

METHODS = ["scratch", "stack", "interlace", "fpi", "aki", "ligo", "ligo-depth", "ligo-width"]


def st_hashes(path):
    """(per-tensor SHA-256 in name order, metadata SHA-256) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = {k: v for k, v in header.pop("__metadata__", {}).items() if not k.endswith("seconds")}
    tensors = []
    for name in sorted(header):
        a, b = header[name]["data_offsets"]
        h = hashlib.sha256(json.dumps([header[name]["dtype"], header[name]["shape"]]).encode() + data[a:b])
        tensors.append((name, h.hexdigest()))
    return tensors, hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("run_hashes: %s failed:\n%s" % (" ".join(cmd), p.stderr.decode()))


def produce(a):
    work = tempfile.mkdtemp(prefix="ligo_hashes_")
    files = []
    fams = [("gpt", a.text, ["--ctx", "32", "--batch", "4"]), ("bert", a.text, ["--ctx", "32", "--batch", "4"])]
    if os.path.exists(os.path.join(a.images, "t10k-images-idx3-ubyte.gz")) or os.path.exists(
            os.path.join(a.images, "t10k-images-idx3-ubyte")):
        fams.append(("vit", a.images, ["--batch", "8"]))
    else:
        print("run_hashes: no Fashion-MNIST at %s, ViT left out" % a.images, file=sys.stderr)
    common = ["--threads", str(a.threads), "--quiet", "--eval-windows", "16"]
    for fam, data, shape in fams:
        small = os.path.join(work, "%s_small.safetensors" % fam)
        run([a.ligo, "train", "--family", fam, "--data", data, "--layers", "2", "--dim", "32", "--heads", "2",
             "--steps", "12", "--warmup", "3", "--seed", "5", "--out", small] + shape + common)
        files.append(small)
        for m in METHODS:
            out = os.path.join(work, "%s_%s.safetensors" % (fam, m))
            cmd = [a.ligo, "grow", "--from", small, "--method", m, "--data", data, "--layers", "4", "--dim", "64",
                   "--fit-steps", "4", "--steps", "4", "--warmup", "1", "--seed", "3", "--out", out] + shape + common
            if m.startswith("ligo") or m in ("stack", "interlace", "fpi", "aki"):
                cmd += ["--operator-out", out.replace(".safetensors", "_op.safetensors")]
            run(cmd)
            files.append(out)
            if os.path.exists(out.replace(".safetensors", "_op.safetensors")):
                files.append(out.replace(".safetensors", "_op.safetensors"))
    lines = []
    for f in files:
        tensors, meta = st_hashes(f)
        base = os.path.basename(f)
        lines.append("%s __metadata__ %s" % (base, meta))
        lines += ["%s %s %s" % (base, name, h) for name, h in tensors]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return lines, digest


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ligo", default="build/ligo")
    ap.add_argument("--text", default="data/tinyshakespeare.txt")
    ap.add_argument("--images", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--ignore-names", action="store_true",
                    help="with --compare: per file, the tensors' bytes and the metadata, whatever the tensors are named")
    a = ap.parse_args()
    if a.compare and a.ignore_names:
        def by_file(path):
            files = {}
            for line in open(path).read().splitlines():
                parts = line.split()
                if parts[0] == "digest":
                    continue
                files.setdefault(parts[0], []).append(parts[1] + " " + parts[2] if parts[1] == "__metadata__" else parts[2])
            return {f: sorted(v) for f, v in files.items()}
        x, y = (by_file(p) for p in a.compare)
        diff = sorted(f for f in set(x) | set(y) if x.get(f) != y.get(f))
        for f in diff[:20]:
            print("run_hashes: %s differs in its tensors' bytes or its metadata" % f)
        print("run_hashes: %s (tensor names ignored)" % ("identical" if not diff else "%d files differ" % len(diff)))
        return 0 if not diff else 1
    if a.compare:
        x, y = (open(p).read().splitlines() for p in a.compare)
        diff = [(l, r) for l, r in zip(x, y) if l != r]
        if len(x) != len(y):
            print("run_hashes: %d lines against %d" % (len(x), len(y)))
        for l, r in diff[:20]:
            print("- %s\n+ %s" % (l, r))
        print("run_hashes: %s" % ("identical" if not diff and len(x) == len(y) else "%d lines differ" % len(diff)))
        return 0 if not diff and len(x) == len(y) else 1
    lines, digest = produce(a)
    text = "\n".join(lines + ["digest " + digest]) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print("run_hashes: %d files, %d tensors; digest %s" % (len({l.split()[0] for l in lines}), len(lines), digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
