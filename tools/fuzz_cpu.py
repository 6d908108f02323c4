#!/usr/bin/env python3
"""fuzz_cpu.py: fuzz each libFuzzer target for a number of CPU seconds
(not wall seconds), at low priority, so long runs can soak up idle cores
beside other work.

    python3 tools/fuzz_cpu.py --seconds 3600 --build build/fuzz TARGET...

Each target runs as `nice -n 19 build/fuzz/fuzz_TARGET ... CORPUS SEEDS REGRESS`
with libFuzzer's own options (as make fuzz uses them), one target at a time
per --parallel slot; the CPU time of the process (user + system, from
/proc) is polled and the fuzzer is stopped with SIGINT once it has used
--seconds. A target's new inputs accumulate in BUILD/corpus-TARGET (kept
across invocations, so runs add up); crashes go to BUILD/TARGET-crash-*.
Appends one line per run to BUILD/fuzz_cpu.log: target, CPU seconds,
executions, corpus size, and whether it crashed. Exit 1 if any crashed.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

OPTS = ["-rss_limit_mb=1024", "-malloc_limit_mb=512", "-max_len=16384", "-timeout=10", "-print_final_stats=1"]


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def start(build, t, repo):
    corpus = os.path.join(build, "corpus-" + t)
    os.makedirs(corpus, exist_ok=True)
    regress = os.path.join(repo, "tests", "fuzz", "regress", t)
    os.makedirs(regress, exist_ok=True)
    log = open(os.path.join(build, "cpu-%s.log" % t), "w")
    cmd = ["nice", "-n", "19", os.path.join(build, "fuzz_" + t)] + OPTS + [
        "-max_total_time=100000000", "-artifact_prefix=" + os.path.join(build, t + "-"), corpus,
        os.path.join(repo, "tests", "fuzz", "corpus", t), regress]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--build", default="build/fuzz")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    todo, running, crashed = list(a.targets), [], 0
    while todo or running:
        while todo and len(running) < a.parallel:
            t = todo.pop(0)
            p, log = start(a.build, t, repo)
            # nice -n 19 execs the fuzzer in place: the child's pid is the fuzzer's
            running.append((t, p, log, time.time()))
        time.sleep(5)
        for item in list(running):
            t, p, log, t0 = item
            used = cpu_seconds(p.pid)
            if p.poll() is None and used is not None and used < a.seconds:
                continue
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log.close()
            text = open(os.path.join(a.build, "cpu-%s.log" % t), errors="replace").read()
            execs = re.findall(r"stat::number_of_executed_units: (\d+)", text)
            bad = "ERROR: libFuzzer" in text or "ERROR: AddressSanitizer" in text or "runtime error" in text
            crashed += bad
            n = len(os.listdir(os.path.join(a.build, "corpus-" + t)))
            line = "%s cpu_seconds %.0f wall_seconds %.0f executions %s corpus %d %s" % (
                t, used or 0, time.time() - t0, execs[-1] if execs else "?", n, "CRASHED" if bad else "ok")
            print("fuzz_cpu: " + line, flush=True)
            with open(os.path.join(a.build, "fuzz_cpu.log"), "a") as f:
                f.write(time.strftime("%Y-%m-%d %H:%M ") + line + "\n")
            running.remove(item)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
