#!/usr/bin/env python3
"""Nothing lost on a crash, for growth: `ligo grow` under SIGKILL and SIGINT
in both of its phases, the operator's fitting and the grown model's
training.

    python3 tests/robust/grow_kill_resume.py build/ligo [WORKDIR] [--seed=N]

0. checkpoints change nothing: a run saving the fitting state and the
   training checkpoint every few steps ends with the same tensors as a run
   saving nothing.
1. kill/resume: a run SIGKILLed at random points, 4 times while fitting and
   4 times while training, and continued with --resume each time, ends
   with the grown model's checkpoint (weights, AdamW moments, step, RNG),
   the operator file and the fitting state bitwise equal to an
   uninterrupted run's.
2. kills during saves: a run saving at every fitting and training step is
   SIGKILLed at random moments many times; after each kill every file
   written so far is there and complete, and the resumed run still ends
   bitwise equal. A leftover .tmp shows a kill landed inside a save.
3. SIGINT while fitting and while training: the run saves, reports
   "interrupted":true, exits 0; resuming ends bitwise equal.
"""
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kill_resume import read_st  # noqa: E402  (the same complete-file check)

FIT_STEPS, STEPS = 48, 48


def meta_of(path):
    """The metadata of a safetensors file (header only), or None while it
    does not exist."""
    try:
        with open(path, "rb") as f:
            hl = struct.unpack("<Q", f.read(8))[0]
            return json.loads(f.read(hl)).get("__metadata__", {})
    except (OSError, ValueError, struct.error):
        return None


def step_of(path, key):
    m = meta_of(path)
    return int(m[key]) if m and key in m else -1


def same_tensors(a, b, keys=()):
    """'' when two files hold the same tensors bit for bit and the same
    metadata values under keys, else why not."""
    ta, ma = read_st(a)
    tb, mb = read_st(b)
    if sorted(ta) != sorted(tb):
        return "different tensor names"
    for k in ta:
        if ta[k] != tb[k]:
            return "tensor %s differs" % k
    for k in keys:
        if ma.get(k) != mb.get(k):
            return "metadata %s: %s vs %s" % (k, ma.get(k), mb.get(k))
    return ""


TRAIN_KEYS = ("ligo.train.step", "ligo.optim.step", "ligo.train.rng")
FIT_KEYS = ("ligo.fit.step", "ligo.fit.rng", "ligo.fit.flops", "ligo.fit.loss_first", "ligo.fit.loss_last")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--seed")]
    seed = int(next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--seed=")), time.time_ns() % 100000))
    tool = os.path.abspath(args[0] if args else "build/ligo")
    work = os.path.abspath(args[1] if len(args) > 1 else "build/robust/grow_kill")
    rng = random.Random(seed)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    text = os.path.join(work, "text.txt")
    with open(text, "wb") as f:
        f.write(bytes((ord("a") + (i * 7 + i // 13) % 26) for i in range(20000)))
    small = os.path.join(work, "small.safetensors")
    subprocess.run([tool, "train", "--data", text, "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "32",
                    "--batch", "4", "--steps", "20", "--warmup", "5", "--eval-windows", "2", "--quiet", "--threads",
                    "1", "--seed", "3", "--out", small], check=True, stdout=subprocess.DEVNULL)
    base = [tool, "grow", "--from", small, "--data", text, "--method", "ligo", "--fit-steps", str(FIT_STEPS),
            "--fit-warmup", "4", "--steps", str(STEPS), "--warmup", "4", "--batch", "4", "--eval-windows", "2",
            "--quiet", "--threads", "1", "--seed", "7"]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("grow kill/resume: FAILED: " + what)

    def paths(tag):
        return [os.path.join(work, tag + s) for s in (".safetensors", ".op.safetensors", ".fit.safetensors")]

    def run_args(tag, every):
        out, op, fit = paths(tag)
        return base + ["--out", out, "--operator-out", op, "--fit-ckpt", fit, "--ckpt-every", str(every)]

    def compare(tag, what):
        out, op, fit = paths(tag)
        why = same_tensors(ref_out, out, TRAIN_KEYS)
        if not why:
            why = same_tensors(ref_fit, fit, FIT_KEYS)
        if not why:
            with open(ref_op, "rb") as f, open(op, "rb") as g:
                why = "" if f.read() == g.read() else "the operator files differ"
        check(why == "", "%s: the final files differ from the uninterrupted run's: %s" % (what, why))
        return why

    # -- 0. references: saving nothing, and saving every 4 steps
    plain = os.path.join(work, "plain.safetensors")
    plain_op = os.path.join(work, "plain.op.safetensors")
    p = subprocess.run(base + ["--out", plain, "--operator-out", plain_op], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        print(p.stderr.decode())
        sys.exit(1)
    ref_out, ref_op, ref_fit = paths("ref")
    t0 = time.time()
    p = subprocess.run(run_args("ref", 4), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t_ref = time.time() - t0
    if p.returncode != 0:
        print(p.stderr.decode())
        sys.exit(1)
    why = same_tensors(plain, ref_out, TRAIN_KEYS)
    if not why:
        with open(plain_op, "rb") as f, open(ref_op, "rb") as g:
            why = "" if f.read() == g.read() else "the operator files differ"
    check(why == "", "saving checkpoints changed the result: " + why)
    print("grow kill/resume: checkpoints every 4 steps leave the grown model and the operator bitwise as without "
          "them: %s (%.1f s a run)" % ("yes" if not why else "NO", t_ref))

    # -- 1. SIGKILL at random points of both phases, --resume each time
    out, op, fit = paths("ck")
    kills = {"fit": 0, "train": 0}
    runs = 0
    for _ in range(60):
        want = "fit" if kills["fit"] < 4 and step_of(fit, "ligo.fit.step") < FIT_STEPS else "train"
        proc = subprocess.Popen(run_args("ck", 4) + ["--resume"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        runs += 1
        if kills["fit"] + kills["train"] < 8:
            # wait until the phase wanted has saved once more, then a random
            # moment up to a few steps later
            if want == "fit":
                start = step_of(fit, "ligo.fit.step")
                target = start + rng.randint(0, 5) if start >= 0 else rng.randint(-4, 5)
                probe = lambda: step_of(fit, "ligo.fit.step")  # noqa: E731
            else:
                start = step_of(out, "ligo.train.step")
                target = max(start, 0) + rng.randint(0, 5)
                probe = lambda: step_of(out, "ligo.train.step")  # noqa: E731
            t_end = time.time() + 30
            while probe() < min(target, FIT_STEPS - 4 if want == "fit" else STEPS - 4) and \
                    proc.poll() is None and time.time() < t_end:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.05) * t_ref)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                # which phase it was in: the fitting state says whether fitting was done
                phase = "train" if step_of(fit, "ligo.fit.step") == FIT_STEPS else "fit"
                kills[phase] += 1
                continue
        o, e = proc.communicate()
        check(proc.returncode == 0, "a resumed run failed: " + e.decode()[-400:])
        break
    ok = kills["fit"] >= 4 and kills["train"] >= 4
    check(ok, "the kills did not land in both phases: %s" % kills)
    why = compare("ck", "kill/resume")
    print("grow kill/resume: %d SIGKILLs while fitting and %d while training, %d runs with --resume; final model "
          "checkpoint, operator and fitting state bitwise equal to the uninterrupted run's: %s" %
          (kills["fit"], kills["train"], runs, "yes" if not why else "NO (%s)" % why))

    # -- 2. SIGKILL during saves: every step saves, both phases
    out, op, fit = paths("save")
    in_save = killed = 0
    seen = set()
    for i in range(40):
        for pth in (out, fit):
            if os.path.exists(pth + ".tmp"):
                os.remove(pth + ".tmp")  # so that one found after the kill is this run's
        proc = subprocess.Popen(run_args("save", 1) + ["--resume"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if i < 16:
            t_end = time.time() + 30
            while not os.path.exists(fit) and time.time() < t_end and proc.poll() is None:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.25) * t_ref)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed += 1
                in_save += os.path.exists(out + ".tmp") or os.path.exists(fit + ".tmp")
                for pth in (fit, out):
                    if os.path.exists(pth):
                        seen.add(pth)
                    elif pth in seen:
                        check(False, "after kill %d %s is missing" % (killed, pth))
                        continue
                    else:
                        continue
                    try:
                        read_st(pth)
                    except (OSError, ValueError) as e:
                        check(False, "after kill %d %s is corrupt: %s" % (killed, pth, e))
                continue
        o, e = proc.communicate()
        check(proc.returncode == 0, "a resumed run failed after the save kills: " + e.decode()[-400:])
        break
    why = compare("save", "kills during saves")
    print("grow kill/resume: %d SIGKILLs of a run saving at every step (%d left a .tmp: killed inside a save); every "
          "file was there and complete after each, the final files bitwise equal: %s" %
          (killed, in_save, "yes" if not failures and not why else "NO"))

    # -- 3. SIGINT in each phase: save, exit 0, resume to the same end
    for phase in ("fit", "train"):
        tag = "int_" + phase
        out, op, fit = paths(tag)
        proc = subprocess.Popen(run_args(tag, 4), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        probe = (lambda: step_of(fit, "ligo.fit.step") >= 4) if phase == "fit" else \
            (lambda: step_of(out, "ligo.train.step") >= 4)
        t_end = time.time() + 30
        while not probe() and time.time() < t_end and proc.poll() is None:
            time.sleep(0.002)
        proc.send_signal(signal.SIGINT)
        o, e = proc.communicate(timeout=60)
        line = o.decode().strip().splitlines()[-1] if o.strip() else "{}"
        j = json.loads(line)
        if proc.returncode == 0 and j.get("interrupted"):
            at = j.get("fit_step") if phase == "fit" else j.get("train_steps")
            saved = step_of(fit, "ligo.fit.step") if phase == "fit" else step_of(out, "ligo.train.step")
            check(saved == at, "SIGINT while %s: the file holds step %s, the run reported %s" %
                  (phase + "ing" if phase == "fit" else "training", saved, at))
            p = subprocess.run(run_args(tag, 4) + ["--resume"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            check(p.returncode == 0, "SIGINT: the resumed run failed: " + p.stderr.decode()[-300:])
            why = compare(tag, "SIGINT while " + phase)
            print("grow kill/resume: SIGINT at %s step %s: saved, exit 0; resumed to the end bitwise equal: %s" %
                  ("fitting" if phase == "fit" else "training", at, "yes" if not why else "NO"))
        elif proc.returncode == 0:
            print("grow kill/resume: SIGINT arrived outside the %s phase (not tested this time)" % phase)
        else:
            check(False, "SIGINT while %s: exit %d: %s" % (phase, proc.returncode, e.decode()[-300:]))
    print("grow kill/resume: seed %d, %s" % (seed, "all passed" if not failures else "%d FAILED" % len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
