#!/usr/bin/env python3
"""Nothing lost on a crash: the ligo tool's checkpoints under SIGKILL and
SIGINT, and a non-finite stop.

    python3 tests/robust/kill_resume.py build/ligo [WORKDIR] [--seed N]

1. kill/resume: an uninterrupted run (reference) and a run SIGKILLed at
   random points KILLS times, resumed each time from its last checkpoint
   (or started again when none was written yet). The final checkpoints
   hold the same tensors bit for bit (weights and AdamW moments) and the
   same step and RNG state.
2. kills during saves: a run checkpointing every step is SIGKILLed at
   random points many times; after every kill the checkpoint exists (once
   one was written) and is a complete safetensors file that ligo can load.
   A leftover .tmp file shows a kill landed inside a save.
3. SIGINT: the run saves a checkpoint, reports "interrupted":true and exits
   0; resuming from that checkpoint ends bitwise equal to the reference.
4. a NaN in the weights: resuming from such a checkpoint stops with exit 1
   and the step named, and the checkpoint file is left as it was.
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


def read_st(path):
    """{name: bytes}, metadata of a complete safetensors file; raises on a
    truncated or malformed one."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s: %d bytes" % (path, len(raw)))
    hl = struct.unpack("<Q", raw[:8])[0]
    if 8 + hl > len(raw):
        raise ValueError("%s: header runs past the file" % path)
    header = json.loads(raw[8:8 + hl])
    meta = header.pop("__metadata__", {})
    body = raw[8 + hl:]
    end = 0
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        n = 4
        for d in info["shape"]:
            n *= d
        if e - b != n or e > len(body):
            raise ValueError("%s: tensor %s does not fit" % (path, name))
        tensors[name] = body[b:e]
        end = max(end, e)
    if end != len(body):
        raise ValueError("%s: %d data bytes, tensors cover %d" % (path, len(body), end))
    return tensors, meta


def same_state(a, b):
    """'' when the two checkpoints hold the same training state, else why not."""
    ta, ma = read_st(a)
    tb, mb = read_st(b)
    if sorted(ta) != sorted(tb):
        return "different tensor names"
    for k in ta:
        if ta[k] != tb[k]:
            return "tensor %s differs" % k
    for k in ("ligo.train.step", "ligo.optim.step", "ligo.train.rng"):
        if ma.get(k) != mb.get(k):
            return "metadata %s: %s vs %s" % (k, ma.get(k), mb.get(k))
    return ""


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--seed")]
    seed = int(next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--seed=")), time.time_ns() % 100000))
    tool = os.path.abspath(args[0] if args else "build/ligo")
    work = os.path.abspath(args[1] if len(args) > 1 else "build/robust/kill")
    rng = random.Random(seed)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    text = os.path.join(work, "text.txt")
    with open(text, "wb") as f:
        f.write(bytes((ord("a") + (i * 7 + i // 13) % 26) for i in range(20000)))
    steps = 90
    base = [tool, "train", "--data", text, "--layers", "2", "--dim", "32", "--heads", "2", "--ctx", "32",
            "--batch", "4", "--steps", str(steps), "--warmup", "5", "--eval-windows", "2", "--ckpt-every", "3",
            "--quiet", "--threads", "1", "--seed", "5"]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("kill/resume: FAILED: " + what)

    # -- the reference, timed
    ref = os.path.join(work, "ref.safetensors")
    t0 = time.time()
    p = subprocess.run(base + ["--out", ref], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t_ref = time.time() - t0
    if p.returncode != 0:
        print(p.stderr.decode())
        sys.exit(1)

    # -- 1. SIGKILL at random points, resume
    ck = os.path.join(work, "ck.safetensors")
    kills = resumed = 0
    for _ in range(200):
        cmd = base + ["--out", ck] + (["--resume", ck] if os.path.exists(ck) else [])
        resumed += os.path.exists(ck)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if kills < 5:
            time.sleep(rng.uniform(0.05, 0.3) * t_ref)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
        out, err = proc.communicate()
        check(proc.returncode == 0, "a resumed run failed: " + err.decode()[-300:])
        break
    why = same_state(ref, ck)
    check(why == "", "after %d kills and %d resumes the final state differs from the reference: %s" %
          (kills, resumed, why))
    print("kill/resume: %d SIGKILLs, %d resumes, final weights and optimizer state bitwise equal to the "
          "uninterrupted run's: %s" % (kills, resumed, "yes" if why == "" else "NO (%s)" % why))

    # -- 2. SIGKILL during saves
    save_ck = os.path.join(work, "save.safetensors")
    every = [tool, "train", "--data", text, "--layers", "2", "--dim", "64", "--heads", "2", "--ctx", "16",
             "--batch", "1", "--steps", "100000", "--ckpt-every", "1", "--quiet", "--threads", "1", "--out", save_ck]
    in_save = checked = 0
    for i in range(20):
        cmd = every + (["--resume", save_ck] if os.path.exists(save_ck) else [])
        if os.path.exists(save_ck + ".tmp"):
            os.remove(save_ck + ".tmp")  # so that one found after the kill is this run's
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # until a first checkpoint exists, then at a random moment
        t_end = time.time() + 20
        while not os.path.exists(save_ck) and time.time() < t_end and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not os.path.exists(save_ck) and not os.path.exists(save_ck + ".tmp") and i == 0:
            continue  # killed before its first save began (a very slow machine): nothing to check yet
        if os.path.exists(save_ck + ".tmp"):
            in_save += 1
        try:
            read_st(save_ck)
            checked += 1
        except (OSError, ValueError) as e:
            check(False, "after kill %d the checkpoint is missing or corrupt: %s" % (i + 1, e))
            break
    p = subprocess.run([tool, "eval", "--model", save_ck, "--data", text, "--windows", "1", "--threads", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, "ligo eval cannot load the checkpoint after the kills: " + p.stderr.decode()[-300:])
    print("kill/resume: %d SIGKILLs of a run saving every step (%d left a .tmp: killed inside a save); "
          "the checkpoint was complete after each: %s" % (checked, in_save, "yes" if checked >= 19 else "NO"))

    # -- 3. SIGINT: save, exit 0, resume to the end
    ick = os.path.join(work, "int.safetensors")
    slow = base + ["--out", ick]
    proc = subprocess.Popen(slow, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the handler is installed once training starts: wait for the first checkpoint
    t_end = time.time() + 30
    while not os.path.exists(ick) and time.time() < t_end and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 0.4) * t_ref)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0 and b'"interrupted":true' in out:
        j = json.loads(out.decode().strip().splitlines()[-1])
        _, meta = read_st(ick)
        check(meta.get("ligo.train.step") == str(j["steps"]),
              "SIGINT: the checkpoint holds step %s, the run reported %s" % (meta.get("ligo.train.step"), j["steps"]))
        check(b"interrupted after step" in err, "SIGINT: no message on stderr")
        p = subprocess.run(base + ["--out", ick, "--resume", ick], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(p.returncode == 0, "SIGINT: the resumed run failed")
        why = same_state(ref, ick)
        check(why == "", "SIGINT then resume differs from the reference: " + why)
        print("kill/resume: SIGINT at step %d: checkpoint saved, exit 0; resumed to the end bitwise equal: %s" %
              (j["steps"], "yes" if why == "" else "NO"))
    elif proc.returncode == 0:
        print("kill/resume: SIGINT arrived after the run ended (not tested this time)")
    else:
        check(False, "SIGINT: exit %d: %s" % (proc.returncode, err.decode()[-300:]))

    # -- 4. a NaN weight: stop, name the step, keep the checkpoint
    nck = os.path.join(work, "nan.safetensors")
    shutil.copy(ref, nck)
    with open(nck, "rb") as f:
        raw = bytearray(f.read())
    hl = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + hl])
    at = 8 + hl + header["wte.weight"]["data_offsets"][0]
    raw[at:at + 4] = struct.pack("<f", float("nan"))
    with open(nck, "wb") as f:
        f.write(raw)
    before = bytes(raw)
    p = subprocess.run(base[:base.index("--steps")] + ["--steps", str(steps + 10)] + base[base.index("--steps") + 2:] +
                       ["--out", nck, "--resume", nck], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode()
    with open(nck, "rb") as f:
        after = f.read()
    ok = p.returncode == 1 and ("training stopped at step %d" % (steps + 1)) in err and "is left as it was" in err
    check(ok, "NaN: exit %d, stderr %s" % (p.returncode, err[-300:]))
    check(after == before, "NaN: the checkpoint was changed")
    print("kill/resume: a NaN weight stops training at step %d with exit 1, checkpoint untouched: %s" %
          (steps + 1, "yes" if ok and after == before else "NO"))
    print("kill/resume: seed %d, %s" % (seed, "all passed" if not failures else "%d FAILED" % len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
