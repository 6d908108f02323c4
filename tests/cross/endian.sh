#!/usr/bin/env bash
# Files across byte orders: a big-endian build of the ligo tool (s390x,
# under qemu) against a native little-endian one (x86-64, LIGO_NO_SIMD:
# the same portable kernels), after tests/cross/tool_smoke.sh has run in
# OUT_DIR with NATIVE set (it leaves corpus.txt, small.safetensors trained
# under the emulator, native.safetensors trained natively by the same
# command, and the emulated grow's grown.safetensors and op.safetensors).
# Both builds must do the same float arithmetic (on s390x gcc needs
# -fexcess-precision=fast for that); then every file must cross bitwise:
#   written big-endian, read little-endian: the emulated checkpoint's
#     tensors and metadata are the native one's (but for the wall-clock
#     seconds), and the native tool's eval of it gives the loss bits of its
#     own checkpoint; the native resume from it (trainer state: AdamW
#     moments, step, RNG) is bitwise the native resume from its own;
#   written little-endian, read big-endian: the emulated eval of the native
#     checkpoint gives the native loss bits, the emulated resume from it
#     writes the native resume's tensors, and the emulated grow from the
#     native checkpoint writes the operator file and grown model the native
#     grow does (from the emulated checkpoint, the smoke test's
#     op.safetensors and grown.safetensors).
#
#   tests/cross/endian.sh OUT_DIR NATIVE EXE [RUNNER...]
#   e.g. tests/cross/endian.sh build/cross/s390x/smoke build/cross/native_nosimd/ligo build/cross/s390x/ligo qemu-s390x
set -euo pipefail
T=$1
NATIVE=$2
EXE=$3
shift 3
RUN=("$@" "$EXE")
for f in corpus.txt small.safetensors native.safetensors grown.safetensors op.safetensors; do
    [ -s "$T/$f" ] || { echo "cross endian: $T/$f is missing (run tests/cross/tool_smoke.sh with NATIVE first)"; exit 1; }
done
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "cross endian: $*"; }
# safetensors tensors and metadata compared bitwise, parsed here in Python
# from the format's definition (u64 LE header length, JSON, LE data);
# "seconds" metadata (wall clock) left out
same_tensors() { # a b
    python3 - "$1" "$2" <<'PY'
import json, struct, sys
def load(p):
    raw = open(p, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    meta = {k: v for k, v in h.pop("__metadata__", {}).items() if not k.endswith(".seconds")}
    return {k: (v["dtype"], v["shape"], raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in h.items()}, meta
(a, am), (b, bm) = load(sys.argv[1]), load(sys.argv[2])
same = [k for k in a if b.get(k) == a[k]]
if len(same) == len(a) == len(b) and am == bm:
    sys.exit(0)
print("  %d of %d tensors equal; differing: %s; metadata differing: %s" % (
    len(same), len(a), sorted(set(a) ^ set(same))[:4], sorted(k for k in set(am) | set(bm) if am.get(k) != bm.get(k))))
sys.exit(1)
PY
}
bits() { # the val_loss_bits of a ligo eval line
    sed -n 's/.*"val_loss_bits":"\([0-9a-f]*\)".*/\1/p'
}
EVAL=(--data "$T/corpus.txt" --windows 8 --threads 1)
TRAIN=(--family gpt --data "$T/corpus.txt" --layers 1 --dim 32 --heads 2 --ffn 64 --ctx 32 --batch 4 --warmup 5
       --eval-windows 8 --seed 3 --quiet --threads 1 --steps 40)
GROW=(--method ligo --fit-steps 5 --data "$T/corpus.txt" --ctx 32 --batch 4 --eval-windows 8 --steps 5 --warmup 1 --quiet
      --threads 2)

# the big-endian checkpoint, written: its bytes are the little-endian one's
if same_tensors "$T/small.safetensors" "$T/native.safetensors"; then ok; else bad "the emulated checkpoint is not the native one"; fi

# loss bits: native on its own checkpoint, native on the emulated one,
# emulated on the native one
want=$("$NATIVE" eval --model "$T/native.safetensors" "${EVAL[@]}" | bits)
got_n=$("$NATIVE" eval --model "$T/small.safetensors" "${EVAL[@]}" | bits)
got_e=$("${RUN[@]}" eval --model "$T/native.safetensors" "${EVAL[@]}" | tr -d '\r' | bits)
if [ -n "$want" ] && [ "$got_n" = "$want" ]; then ok; else bad "native eval of the emulated checkpoint: loss bits '$got_n', want '$want'"; fi
if [ -n "$want" ] && [ "$got_e" = "$want" ]; then ok; else bad "emulated eval of the native checkpoint: loss bits '$got_e', want '$want'"; fi
echo "cross endian: eval loss bits $want (native), $got_n (native on the emulated file), $got_e (emulated on the native file)"

# trainer state both ways: 10 more steps from the other host's checkpoint
"$NATIVE" train "${TRAIN[@]}" --resume "$T/native.safetensors" --out "$T/resume_nn.safetensors" >/dev/null
"$NATIVE" train "${TRAIN[@]}" --resume "$T/small.safetensors" --out "$T/resume_ne.safetensors" >/dev/null
"${RUN[@]}" train "${TRAIN[@]}" --resume "$T/native.safetensors" --out "$T/resume_en.safetensors" >/dev/null
if same_tensors "$T/resume_ne.safetensors" "$T/resume_nn.safetensors"; then ok; else bad "native resume from the emulated checkpoint differs"; fi
if same_tensors "$T/resume_en.safetensors" "$T/resume_nn.safetensors"; then ok; else bad "emulated resume from the native checkpoint differs"; fi

# operator files: the native grow from the emulated checkpoint (as the smoke
# test grew it) and the emulated grow from the native checkpoint
"$NATIVE" grow --from "$T/small.safetensors" "${GROW[@]}" --out "$T/grown_n.safetensors" \
    --operator-out "$T/op_n.safetensors" >/dev/null
"${RUN[@]}" grow --from "$T/native.safetensors" "${GROW[@]}" --out "$T/grown_en.safetensors" \
    --operator-out "$T/op_en.safetensors" >/dev/null
if same_tensors "$T/op.safetensors" "$T/op_n.safetensors"; then ok; else bad "the emulated operator file differs"; fi
if same_tensors "$T/grown.safetensors" "$T/grown_n.safetensors"; then ok; else bad "the emulated grown model differs"; fi
if same_tensors "$T/op_en.safetensors" "$T/op_n.safetensors" && same_tensors "$T/grown_en.safetensors" "$T/grown_n.safetensors"
then ok; else bad "the emulated grow from the native checkpoint differs"; fi
echo "cross endian: $pass passed, $fail failed"
[ "$fail" = 0 ]
