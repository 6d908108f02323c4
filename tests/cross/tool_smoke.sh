#!/usr/bin/env bash
# The ligo tool cross-compiled, run under an emulator (wine, qemu-user):
# train a tiny GPT (checkpoints replacing each other), resume it, eval,
# sample, grow with LiGO on two threads (the thread pool), export and show
# (directories made), and a tiny growth benchmark with --jobs 2 (on
# Windows one job at a time). Each command must exit 0 with '"ok":true' in
# its last line ('"failed":0,' for the benchmark) and write its files.
# With a native build of the tool given as NATIVE, the checkpoint trained
# under the emulator is compared tensor by tensor with the native one's;
# with NATIVE_EQUAL=1 too, a difference fails the test (aarch64 against a
# native LIGO_NO_SIMD build: the same portable kernels and glibc's libm),
# otherwise it is information (Windows: msvcrt's libm rounds otherwise).
#
#   tests/cross/tool_smoke.sh OUT_DIR EXE [RUNNER...]
#   e.g. tests/cross/tool_smoke.sh build/cross/win/smoke build/cross/win/ligo.exe wine
set -euo pipefail
T=$1
EXE=$2
shift 2
RUN=("$@" "$EXE")
rm -rf "$T"
mkdir -p "$T"
cat README.md src/*.c > "$T/corpus.txt"
pass=0
fail=0
WANT='"ok":true'
check() { # name, ligo arguments... (the last line must hold $WANT)
    local name=$1 out
    shift
    if out=$("${RUN[@]}" "$@" 2>"$T/$name.err") && printf '%s\n' "$out" | tail -n 1 | tr -d '\r' | grep -qF "$WANT"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "cross tool smoke: $name failed:"
        tail -n 5 "$T/$name.err"
        printf '%s\n' "$out" | tail -n 1
    fi
}
exists() { # name, files...
    local name=$1 f
    shift
    for f in "$@"; do
        if [ ! -s "$f" ]; then
            fail=$((fail + 1))
            echo "cross tool smoke: $name: $f is missing or empty"
            return
        fi
    done
    pass=$((pass + 1))
}
TRAIN=(--family gpt --data "$T/corpus.txt" --layers 1 --dim 32 --heads 2 --ffn 64 --ctx 32 --batch 4 --warmup 5
       --eval-windows 8 --seed 3 --quiet)
check train train "${TRAIN[@]}" --steps 30 --ckpt-every 10 --out "$T/small.safetensors" --csv "$T/train.csv" --threads 1
exists train_files "$T/small.safetensors" "$T/train.csv"
[ ! -e "$T/small.safetensors.tmp" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "cross tool smoke: a .tmp is left"; }
# CSV written in binary mode: no carriage returns on Windows
if ! grep -q $'\r' "$T/train.csv"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "cross tool smoke: \\r in train.csv"; fi
check resume train "${TRAIN[@]}" --steps 40 --resume "$T/small.safetensors" --out "$T/small2.safetensors" --threads 1
check eval eval --model "$T/small.safetensors" --data "$T/corpus.txt" --windows 8 --threads 1
check sample sample --model "$T/small.safetensors" --prompt "ligo" --tokens 20 --threads 1
check grow grow --from "$T/small.safetensors" --method ligo --fit-steps 5 --data "$T/corpus.txt" --ctx 32 --batch 4 \
    --eval-windows 8 --steps 5 --warmup 1 --out "$T/grown.safetensors" --operator-out "$T/op.safetensors" --quiet --threads 2
exists grow_files "$T/grown.safetensors" "$T/op.safetensors"
check export export --model "$T/grown.safetensors" --hf "$T/hf"
exists export_files "$T/hf/config.json" "$T/hf/model.safetensors"
check show show --operator "$T/op.safetensors" --out "$T/show"
exists show_files "$T/show/depth.svg" "$T/show/width.svg"
WANT='"failed":0,' check bench bench growth --families gpt --settings depth --methods scratch,stack --select-seeds 1 --report-seeds 0 \
    --steps 40 --width 32 --layers 2 --branches 2 --evals 2 --eval-windows 4 --fit-steps 4 --jobs 2 \
    --text "$T/corpus.txt" --out "$T/bench" --quiet
exists bench_files "$T/bench/growth.md" "$T/bench/curves.csv"
if [ -n "${NATIVE:-}" ]; then
    rc=0
    "$NATIVE" train "${TRAIN[@]}" --steps 30 --ckpt-every 10 --out "$T/native.safetensors" --threads 1 >/dev/null &&
        python3 - "$T/small.safetensors" "$T/native.safetensors" <<'PY' || rc=$?
import json, struct, sys
def tensors(p):
    raw = open(p, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    h.pop("__metadata__", None)
    return {k: raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in h.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
same = sorted(k for k in a if b.get(k) == a[k])
equal = len(same) == len(a) == len(b)
print("cross tool smoke: the emulated run's checkpoint against the native one: %s (%d of %d tensors bitwise equal)"
      % ("bitwise equal" if equal else "differs", len(same), len(a)))
sys.exit(0 if equal else 1)
PY
    if [ "${NATIVE_EQUAL:-0}" = 1 ]; then
        [ "$rc" = 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "cross tool smoke: want bitwise equal to $NATIVE"; }
    fi
fi
echo "cross tool smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
