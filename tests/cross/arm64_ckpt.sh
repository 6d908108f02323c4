#!/usr/bin/env bash
# The checkpoints of ARM64 builds against native x86-64 ones (issue 23):
# each build trains the same tiny GPT for 30 steps on one thread, and
#   NEON         = native SIMD build, bitwise, when that one runs the
#                  avx2-fma kernels (the NEON kernels are their AVX2 twins
#                  lane for lane, src/simd.h); otherwise within TOL
#   NEON         = native LIGO_NO_SIMD build within TOL of 1 + |w| per
#                  weight (fused multiply-adds and the vector exp round
#                  otherwise than the portable C: 2.1e-6 measured, the
#                  same as AVX2 against portable)
#   arm64 LIGO_NO_SIMD = native LIGO_NO_SIMD build, bitwise (the same C,
#                  glibc's libm on both)
# and the NEON build's checkpoint must not equal the portable one (it
# would if the NEON paths had not run).
#
#   tests/cross/arm64_ckpt.sh OUT_DIR ARM64_NEON ARM64_PORTABLE NATIVE_SIMD NATIVE_PORTABLE RUNNER...
set -euo pipefail
T=$1
NEON=$2
A_PORT=$3
N_SIMD=$4
N_PORT=$5
shift 5
RUN=("$@")
TOL=1e-4
DIFF=(python3 "$(dirname "$0")/ckpt_diff.py")
rm -rf "$T"
mkdir -p "$T"
cat README.md src/*.c > "$T/corpus.txt"
TRAIN=(train --family gpt --data "$T/corpus.txt" --layers 1 --dim 32 --heads 2 --ffn 64 --ctx 32 --batch 4 --warmup 5
       --eval-windows 8 --seed 3 --quiet --steps 30 --threads 1)
"${RUN[@]}" "$NEON" "${TRAIN[@]}" --out "$T/neon.safetensors" >/dev/null
"${RUN[@]}" "$A_PORT" "${TRAIN[@]}" --out "$T/arm64_portable.safetensors" >/dev/null
"$N_SIMD" "${TRAIN[@]}" --out "$T/native_simd.safetensors" >/dev/null
"$N_PORT" "${TRAIN[@]}" --out "$T/native_portable.safetensors" >/dev/null
fail=0
native=$("$N_SIMD" --version | sed -n 's/.*(kernels: \([a-z0-9-]*\)).*/\1/p')
neon=$("${RUN[@]}" "$NEON" --version | sed -n 's/.*(kernels: \([a-z0-9-]*\)).*/\1/p')
check() { # what, ckpt_diff arguments...
    local what=$1 out
    shift
    if out=$("${DIFF[@]}" "$@"); then
        echo "arm64 checkpoints: $what: $out"
    else
        echo "arm64 checkpoints: $what FAILED: $out"
        fail=1
    fi
}
[ "$neon" = neon-fma ] || { echo "arm64 checkpoints: the NEON build runs '$neon', not neon-fma"; fail=1; }
if [ "$native" = avx2-fma ]; then
    check "NEON = native avx2-fma, bitwise" "$T/neon.safetensors" "$T/native_simd.safetensors"
else
    check "NEON ~ native $native (no avx2-fma here: tolerance $TOL)" "$T/neon.safetensors" "$T/native_simd.safetensors" \
        --tol "$TOL"
fi
check "NEON ~ native portable, tolerance $TOL" "$T/neon.safetensors" "$T/native_portable.safetensors" --tol "$TOL"
if "${DIFF[@]}" "$T/neon.safetensors" "$T/native_portable.safetensors" >/dev/null; then
    echo "arm64 checkpoints: the NEON build's checkpoint is bitwise the portable one's: the NEON paths did not run"
    fail=1
fi
check "arm64 portable = native portable, bitwise" "$T/arm64_portable.safetensors" "$T/native_portable.safetensors"
[ "$fail" = 0 ] && echo "arm64 checkpoints: passed"
[ "$fail" = 0 ]
