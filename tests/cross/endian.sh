#!/usr/bin/env bash
# Files across byte orders: a big-endian build of the ligo tool (s390x,
# under qemu) against a native little-endian one (x86-64, LIGO_NO_SIMD:
# the same portable kernels). Both must do the same float arithmetic (on
# s390x gcc needs -fexcess-precision=fast for that, see mk/cross.mk); then
# every file must cross bitwise. The same tiny GPT is trained by both (a
# checkpoint every 10 steps, the last replacing the others), then:
#   written big-endian, read little-endian: the emulated checkpoint's
#     tensors and metadata are the native one's (but for the wall-clock
#     seconds); the native eval of it gives the loss bits of the native
#     checkpoint; the native resume from it (trainer state: AdamW moments,
#     step, RNG) is bitwise the native resume from its own; the native grow
#     from it writes the operator file and grown model the emulated grow
#     does; the emulated export (Hugging Face model.safetensors) is the
#     native one;
#   written little-endian, read big-endian: the emulated eval of the native
#     checkpoint gives the native loss bits, the emulated resume from it
#     writes the native resume's tensors, and the emulated grow from it
#     writes the native grow's operator and model.
# The safetensors files are compared by a parser written here in Python
# from the format's definition (u64 LE header length, JSON, LE data).
#
#   tests/cross/endian.sh OUT_DIR NATIVE EXE [RUNNER...]
#   e.g. tests/cross/endian.sh build/cross/s390x/endian build/cross/native_nosimd/ligo build/cross/s390x/ligo qemu-s390x
set -euo pipefail
T=$1
NATIVE=$2
EXE=$3
shift 3
RUN=("$@" "$EXE")
rm -rf "$T"
mkdir -p "$T"
cat README.md src/*.c > "$T/corpus.txt"
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
       --eval-windows 8 --seed 3 --quiet --threads 1)
GROW=(--method ligo --fit-steps 5 --data "$T/corpus.txt" --ctx 32 --batch 4 --eval-windows 8 --steps 5 --warmup 1 --quiet
      --threads 2)
run_n() { "$NATIVE" "$@" >/dev/null; }
run_e() { "${RUN[@]}" "$@" >/dev/null; }
run_n train "${TRAIN[@]}" --steps 30 --ckpt-every 10 --out "$T/n.safetensors"
run_e train "${TRAIN[@]}" --steps 30 --ckpt-every 10 --out "$T/e.safetensors"

# the big-endian checkpoint, written: its bytes are the little-endian one's
if same_tensors "$T/e.safetensors" "$T/n.safetensors"; then ok; else bad "the emulated checkpoint is not the native one"; fi

# loss bits: native on its own checkpoint, native on the emulated one,
# emulated on the native one
want=$("$NATIVE" eval --model "$T/n.safetensors" "${EVAL[@]}" | bits)
got_n=$("$NATIVE" eval --model "$T/e.safetensors" "${EVAL[@]}" | bits)
got_e=$("${RUN[@]}" eval --model "$T/n.safetensors" "${EVAL[@]}" | tr -d '\r' | bits)
if [ -n "$want" ] && [ "$got_n" = "$want" ]; then ok; else bad "native eval of the emulated checkpoint: loss bits '$got_n', want '$want'"; fi
if [ -n "$want" ] && [ "$got_e" = "$want" ]; then ok; else bad "emulated eval of the native checkpoint: loss bits '$got_e', want '$want'"; fi
echo "cross endian: eval loss bits $want (native), $got_n (native on the emulated file), $got_e (emulated on the native file)"

# trainer state both ways: 10 more steps from the other host's checkpoint
run_n train "${TRAIN[@]}" --steps 40 --resume "$T/n.safetensors" --out "$T/resume_nn.safetensors"
run_n train "${TRAIN[@]}" --steps 40 --resume "$T/e.safetensors" --out "$T/resume_ne.safetensors"
run_e train "${TRAIN[@]}" --steps 40 --resume "$T/n.safetensors" --out "$T/resume_en.safetensors"
if same_tensors "$T/resume_ne.safetensors" "$T/resume_nn.safetensors"; then ok; else bad "native resume from the emulated checkpoint differs"; fi
if same_tensors "$T/resume_en.safetensors" "$T/resume_nn.safetensors"; then ok; else bad "emulated resume from the native checkpoint differs"; fi

# operator files and grown models: each tool grows from its own checkpoint
# and from the other's (LiGO, two threads)
run_n grow --from "$T/n.safetensors" "${GROW[@]}" --out "$T/grown_nn.safetensors" --operator-out "$T/op_nn.safetensors"
run_n grow --from "$T/e.safetensors" "${GROW[@]}" --out "$T/grown_ne.safetensors" --operator-out "$T/op_ne.safetensors"
run_e grow --from "$T/e.safetensors" "${GROW[@]}" --out "$T/grown_ee.safetensors" --operator-out "$T/op_ee.safetensors"
run_e grow --from "$T/n.safetensors" "${GROW[@]}" --out "$T/grown_en.safetensors" --operator-out "$T/op_en.safetensors"
for w in ne ee en; do
    if same_tensors "$T/op_$w.safetensors" "$T/op_nn.safetensors" &&
        same_tensors "$T/grown_$w.safetensors" "$T/grown_nn.safetensors"; then ok; else bad "grow ($w) differs from the native grow"; fi
done

# the Hugging Face export (a safetensors file the tool writes itself)
run_n export --model "$T/n.safetensors" --hf "$T/hf_n"
run_e export --model "$T/e.safetensors" --hf "$T/hf_e"
if same_tensors "$T/hf_e/model.safetensors" "$T/hf_n/model.safetensors" && cmp -s "$T/hf_e/config.json" "$T/hf_n/config.json"
then ok; else bad "the emulated export differs"; fi
echo "cross endian: $pass passed, $fail failed"
[ "$fail" = 0 ]
