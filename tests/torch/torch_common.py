"""What the PyTorch tests share: the repository root on the import path
(for tools/ligo_torch.py), pass/fail counting, running the ligo tool, and
small Fashion-MNIST-shaped IDX files."""
import os
import struct
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

counts = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    """Count and print one check; returns ok."""
    counts["passed" if ok else "failed"] += 1
    print("  %s %s %s" % ("ok  " if ok else "FAIL", name, detail))
    return ok


def run(cmd):
    """A command's stdout; a non-zero exit raises with its stderr."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-2000:]))
    return r.stdout


def write_idx(directory, name_img, name_lbl, n, g):
    """n random 28 x 28 images and labels as IDX files; every class among
    the first ten."""
    px = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    lb = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
    lb[:10] = torch.arange(10, dtype=torch.uint8)
    with open(os.path.join(directory, name_img), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(px.flatten().tolist()))
    with open(os.path.join(directory, name_lbl), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(lb.tolist()))


def make_images(tmp, seed=7):
    """tmp/images with a Fashion-MNIST-shaped training split (64 images)
    and test split (24), drawn from one generator of `seed`."""
    images = os.path.join(tmp, "images")
    os.mkdir(images)
    g = torch.Generator().manual_seed(seed)
    write_idx(images, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 64, g)
    write_idx(images, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 24, g)
    return images
