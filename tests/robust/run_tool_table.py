#!/usr/bin/env python3
"""Runs the bad-input table of the ligo tool (tests/robust/tool_table.txt).

    python3 tests/robust/run_tool_table.py build/ligo [WORKDIR]

Makes the fixture files, runs every row, and checks the exit status, the
message, and for failures (exit 1) the final JSON line with "ok":false (bench prints none).
A crash (a signal, or any other status) fails the row. A row that fails
(exit 1 or 2) must also leave behind no output file (--out, --operator-out,
--csv) that was not there before it ran: the checks come before the work.
Prints the count.
"""
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def safetensors_floats(path):
    """(header dict, data offset) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    hl = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + hl]), 8 + hl, raw


def write_safetensors(path, header, tensors):
    """A safetensors file from a header dict (metadata included) and
    {name: raw bytes}, offsets computed in the order given."""
    at, blobs = 0, []
    for name, raw in tensors.items():
        header[name]["data_offsets"] = [at, at + len(raw)]
        at += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def shrink_vocab(src, dst, vocab):
    """The GPT checkpoint src with only the first `vocab` rows of its (tied)
    token embedding and that vocabulary in its metadata."""
    header, off, raw = safetensors_floats(src)
    tensors = {}
    for name, e in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                          key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = e["data_offsets"]
        data = raw[off + a:off + b]
        if name == "wte.weight":
            cols = e["shape"][1]
            data = data[:vocab * cols * 4]
            e["shape"] = [vocab, cols]
        tensors[name] = data
    header["__metadata__"]["ligo.vocab"] = str(vocab)
    write_safetensors(dst, header, tensors)


def output_paths(argv):
    """The files a command line asks the tool to write."""
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--out", "--operator-out", "--csv", "--fit-ckpt")]


def make_fixtures(tool, d):
    fx = {"DIR": d, "NODIR": os.path.join(d, "no", "such", "dir")}
    text = bytes((ord("a") + (i * 7 + i // 13) % 26) for i in range(3000))
    files = {"TEXT": ("text.txt", text), "TINY": ("tiny.txt", b"x"), "TWO": ("two.txt", b"xy"),
             "EMPTY": ("empty", b""), "JUNK": ("junk.safetensors", b"this is not a safetensors file"),
             "SHORT": ("short.txt", text[:80])}
    for key, (name, data) in files.items():
        fx[key] = os.path.join(d, name)
        with open(fx[key], "wb") as f:
            f.write(data)
    fx["UNDERFILE"] = os.path.join(fx["TEXT"], "out")
    common = ["--layers", "1", "--dim", "8", "--heads", "2", "--ctx", "8", "--batch", "2", "--eval-windows", "2",
              "--warmup", "0", "--quiet", "--threads", "1"]
    for fam, key in (("gpt", "GPT"), ("bert", "BERT")):
        fx[key] = os.path.join(d, fam + ".safetensors")
        subprocess.run([tool, "train", "--family", fam, "--data", fx["TEXT"], "--steps", "1", "--out", fx[key]] + common,
                       check=True, stdout=subprocess.DEVNULL)
    fx["MODELONLY"] = os.path.join(d, "grown.safetensors")
    subprocess.run([tool, "grow", "--from", fx["GPT"], "--method", "fpi", "--data", fx["TEXT"], "--ctx", "8", "--batch",
                    "2", "--eval-windows", "2", "--quiet", "--threads", "1", "--out", fx["MODELONLY"]], check=True,
                   stdout=subprocess.DEVNULL)
    fx["TRAINCK"] = os.path.join(d, "train.safetensors")
    subprocess.run([tool, "train", "--data", fx["TEXT"], "--steps", "2", "--out", fx["TRAINCK"]] + common, check=True,
                   stdout=subprocess.DEVNULL)
    # a NaN in the first float of wte.weight
    header, off, raw = safetensors_floats(fx["TRAINCK"])
    b = off + header["wte.weight"]["data_offsets"][0]
    raw = raw[:b] + struct.pack("<f", float("nan")) + raw[b + 4:]
    fx["NANCK"] = os.path.join(d, "nan.safetensors")
    with open(fx["NANCK"], "wb") as f:
        f.write(raw)
    with open(fx["GPT"], "rb") as f:
        raw = f.read()
    fx["TRUNC"] = os.path.join(d, "trunc.safetensors")
    with open(fx["TRUNC"], "wb") as f:
        f.write(raw[:len(raw) // 2])
    meta = {"ligo.family": "gpt", "ligo.n_layer": "48", "ligo.d_model": "4096", "ligo.n_head": "32",
            "ligo.d_ff": "16384", "ligo.vocab": "50257", "ligo.ctx_len": "4096", "ligo.image_h": "0",
            "ligo.image_w": "0", "ligo.patch": "0", "ligo.n_classes": "0", "ligo.ln_eps": "1e-5"}
    h = json.dumps({"__metadata__": meta, "wte.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
    fx["HUGECFG"] = os.path.join(d, "hugecfg.safetensors")
    with open(fx["HUGECFG"], "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"\0" * 16)
    fx["SMALLVOCAB"] = os.path.join(d, "vocab100.safetensors")
    shrink_vocab(fx["GPT"], fx["SMALLVOCAB"], 100)
    # a fitting state after 2 steps, and two broken copies
    fx["FITCK"] = os.path.join(d, "fit.safetensors")
    subprocess.run([tool, "grow", "--from", fx["GPT"], "--data", fx["TEXT"], "--ctx", "8", "--batch", "2", "--fit-steps",
                    "2", "--eval-windows", "2", "--quiet", "--threads", "1", "--fit-ckpt", fx["FITCK"], "--out",
                    os.path.join(d, "fitgrown.safetensors")], check=True, stdout=subprocess.DEVNULL)
    header, off, raw = safetensors_floats(fx["FITCK"])
    tensors = {}
    for name, e in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                          key=lambda kv: kv[1]["data_offsets"][0]):
        tensors[name] = raw[off + e["data_offsets"][0]:off + e["data_offsets"][1]]
    header["__metadata__"]["ligo.fit.step"] = "2x"
    fx["FITBAD"] = os.path.join(d, "fitbad.safetensors")
    write_safetensors(fx["FITBAD"], header, tensors)
    header["__metadata__"]["ligo.fit.step"] = "2"
    tensors["ligo.fit.v"] = struct.pack("<f", float("nan")) + tensors["ligo.fit.v"][4:]
    fx["FITNAN"] = os.path.join(d, "fitnan.safetensors")
    write_safetensors(fx["FITNAN"], header, tensors)
    fx["VITDIR"] = os.path.join(d, "vit")
    os.makedirs(fx["VITDIR"], exist_ok=True)
    for split in ("train", "t10k"):
        with open(os.path.join(fx["VITDIR"], split + "-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(32))
        with open(os.path.join(fx["VITDIR"], split + "-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 0x801, 2) + b"\1\2")
    return fx


def main():
    tool = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ligo")
    work = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/robust/tool")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fx = make_fixtures(tool, work)
    rows, failed = 0, 0
    with open(os.path.join(HERE, "tool_table.txt")) as f:
        lines = f.read().splitlines()
    for ln, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        want, text, args = (x.strip() for x in line.split("|", 2))
        for k, v in fx.items():
            args = args.replace("{%s}" % k, v)
            text = text.replace("{%s}" % k, v)
        argv = [tool] + shlex.split(args)
        rows += 1
        outputs = [o if os.path.isabs(o) else os.path.join(work, o) for o in output_paths(argv)]
        existed = {o for o in outputs if os.path.lexists(o)}
        # bench writes into the current directory by default: run in the work dir
        p = subprocess.run(argv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        problems = []
        if p.returncode != int(want):
            problems.append("exit %d, want %s" % (p.returncode, want))
        if text not in out and text not in err:
            problems.append("no '%s' in the output" % text)
        if int(want) == 1 and argv[1] != "bench":  # the benchmark prints no JSON line
            last = out.strip().splitlines()[-1] if out.strip() else ""
            try:
                j = json.loads(last)
                if j.get("ok") is not False or not j.get("error"):
                    problems.append("the JSON line lacks ok:false and an error")
            except ValueError:
                problems.append("no JSON line on stdout")
        if p.returncode in (1, 2):
            left = [o for o in outputs if o not in existed and os.path.lexists(o)]
            if left:
                problems.append("the failed run left %s behind" % ", ".join(left))
        if problems:
            failed += 1
            print("tool table line %d: ligo %s: %s" % (ln, args, "; ".join(problems)))
            print("    stderr: " + " | ".join(err.strip().splitlines()[-3:]))
    print("tool table: %d bad inputs to the ligo tool, %d answered as expected" % (rows, rows - failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
