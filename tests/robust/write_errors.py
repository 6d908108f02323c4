#!/usr/bin/env python3
"""Saves that hit a write error: `ligo train` checkpoints and every file
`ligo grow` writes (the grown model, its training checkpoint, the
operator, the fitting state).

    python3 tests/robust/write_errors.py build/ligo [WORKDIR]

Each file is first written by a normal run; then the same command runs
under a file-size limit (`ulimit -f`, SIGXFSZ ignored, so write() fails
with EFBIG) smaller than that file, in a temporary directory (never a
device node such as /dev/full: the rename would replace the device). The
run must exit 1 with a message naming the file and the error ("File too
large") and a JSON line with "ok":false, the previous file must be byte
for byte what it was, and no temporary file may be left behind.
"""
import json
import os
import shutil
import subprocess
import sys

LIMITED = 'trap "" XFSZ; ulimit -f "$1" || exit 99; shift; exec "$@"'


def main():
    tool = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ligo")
    work = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/robust/write_errors")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    text = os.path.join(work, "text.txt")
    with open(text, "wb") as f:
        f.write(bytes((ord("a") + (i * 7 + i // 13) % 26) for i in range(6000)))
    failures = []
    passed = 0

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("write-errors: FAILED: " + what)
        return ok

    def j(name):
        return os.path.join(work, name)

    def limited(argv, size):
        """argv under a file-size limit of about half of `size` bytes."""
        blocks = max(1, size // 2 // 1024)
        return subprocess.run(["bash", "-c", LIMITED, "limited", str(blocks)] + argv,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def case(what, argv, target, others=()):
        """Run argv normally (making target), then under a limit below
        target's size: it must fail cleanly and leave target as it was."""
        nonlocal passed
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not check(p.returncode == 0 and os.path.exists(target),
                     "%s: the normal run failed: %s" % (what, p.stderr.decode()[-300:])):
            return
        with open(target, "rb") as f:
            before = f.read()
        # the files written before target are smaller than the limit, or absent
        small = [o for o in others if os.path.exists(o) and os.path.getsize(o) < len(before) // 2 - 4096]
        check(len(small) == len([o for o in others if os.path.exists(o)]),
              "%s: a file written before %s is too large for the limit" % (what, os.path.basename(target)))
        p = limited(argv, len(before))
        err, out = p.stderr.decode(), p.stdout.decode()
        with open(target, "rb") as f:
            after = f.read()
        lines = out.strip().splitlines()
        ok = check(p.returncode == 1, "%s: exit %d under the size limit (want 1): %s" % (what, p.returncode, err[-300:]))
        ok &= check(target in err and "File too large" in err,
                    "%s: the message does not name %s and the error: %s" % (what, target, err[-300:]))
        ok &= check(bool(lines) and json.loads(lines[-1]).get("ok") is False, "%s: no JSON failure line" % what)
        ok &= check(after == before, "%s: %s changed" % (what, target))
        left = [n for n in os.listdir(work) if n.endswith(".tmp")]
        ok &= check(not left, "%s: temporary files left behind: %s" % (what, left))
        if ok:
            passed += 1
            msg = [ln for ln in err.splitlines() if "File too large" in ln]
            print("write-errors: %s: exit 1, %s unchanged, no .tmp: %s" %
                  (what, os.path.basename(target), msg[0].replace(work + "/", "") if msg else ""))

    # ligo train: the checkpoint a resumed run saves over
    ck = j("train.safetensors")
    train = [tool, "train", "--data", text, "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "16", "--batch",
             "2", "--warmup", "0", "--eval-windows", "1", "--quiet", "--threads", "1", "--out", ck]
    case("train checkpoint", train + ["--steps", "2"], ck)

    small = j("small.safetensors")
    subprocess.run(train[:-1] + [small, "--steps", "2"], check=True, stdout=subprocess.DEVNULL)
    grow = [tool, "grow", "--from", small, "--data", text, "--method", "ligo", "--fit-steps", "2", "--fit-warmup",
            "0", "--batch", "2", "--eval-windows", "1", "--quiet", "--threads", "1"]
    out, op, fit = j("grown.safetensors"), j("grown.op.safetensors"), j("grown.fit.safetensors")
    # ligo grow: the grown model (--steps 0), after a smaller operator file
    case("grow model", grow + ["--out", out, "--operator-out", op], out, [op])
    # the operator file: the first file written
    case("grow operator", grow + ["--out", out, "--operator-out", op], op)
    # the fitting state (--fit-ckpt), saved during fitting
    case("grow fitting state", grow + ["--out", out, "--fit-ckpt", fit], fit)
    # the grown model's training checkpoint (--steps): larger than the fitting state
    case("grow training checkpoint", grow + ["--out", out, "--fit-ckpt", fit, "--steps", "2", "--warmup", "0"], out,
         [fit])
    print("write-errors: %d of 5 saves failed cleanly under a file-size limit, %s" %
          (passed, "all passed" if not failures else "%d FAILED" % len(failures)))
    sys.exit(1 if failures or passed != 5 else 0)


if __name__ == "__main__":
    main()
