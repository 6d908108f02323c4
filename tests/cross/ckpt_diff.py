#!/usr/bin/env python3
"""Compare two ligo checkpoints (safetensors, float32) tensor by tensor.

    ckpt_diff.py A B            exit 1 unless every tensor is bitwise equal
    ckpt_diff.py A B --tol X    exit 1 unless every element has
                                |a - b| <= X * (1 + |b|)

Prints one line: how many tensors are bitwise equal and the largest
difference, absolute and relative to 1 + |b|."""
import json
import struct
import sys


def tensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    head.pop("__metadata__", None)
    out = {}
    for name, v in head.items():
        lo, hi = v["data_offsets"]
        out[name] = (v["dtype"], raw[8 + n + lo:8 + n + hi])
    return out


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--tol"):
        print(__doc__)
        return 2
    tol = float(argv[4]) if len(argv) == 5 else None
    a, b = tensors(argv[1]), tensors(argv[2])
    if sorted(a) != sorted(b):
        print("ckpt_diff: the tensor names differ")
        return 1
    same, worst_abs, worst_rel, where = 0, 0.0, 0.0, ""
    for name in sorted(a):
        (ta, ra), (tb, rb) = a[name], b[name]
        if ta != tb or len(ra) != len(rb):
            print("ckpt_diff: %s: dtype or size differs" % name)
            return 1
        if ra == rb:
            same += 1
            continue
        if ta != "F32":
            print("ckpt_diff: %s (%s) differs" % (name, ta))
            return 1
        n = len(ra) // 4
        xa, xb = struct.unpack("<%df" % n, ra), struct.unpack("<%df" % n, rb)
        for x, y in zip(xa, xb):
            d = abs(x - y)
            if d != d:  # NaN in one of them
                print("ckpt_diff: %s: NaN in one checkpoint only" % name)
                return 1
            r = d / (1.0 + abs(y))
            worst_abs = max(worst_abs, d)
            if r > worst_rel:
                worst_rel, where = r, name
    print("ckpt_diff: %d of %d tensors bitwise equal, largest difference %.3g (%.3g relative to 1 + |b|%s)"
          % (same, len(a), worst_abs, worst_rel, ", in " + where if where else ""))
    if tol is None:
        return 0 if same == len(a) else 1
    return 0 if worst_rel <= tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
