#!/usr/bin/env bash
# The NaN table (tests/nan_table.c, issue 17) of NEON builds run under an
# emulator, each against the table of a native LIGO_NO_SIMD build (the
# same portable C: its table is line for line the one an ARM64
# LIGO_NO_SIMD build prints). The emulated builds run at once (each takes
# about a minute and a half under qemu-aarch64); nan_table --compare
# fails at the first element whose class (NaN, +inf, -inf, finite)
# differs.
#
#   tests/cross/arm64_nan.sh OUT_DIR NATIVE_PORTABLE RUNNER EXE...
set -euo pipefail
T=$1
PORT=$2
RUNNER=$3
shift 3
mkdir -p "$T"
"$PORT" "$T/portable.txt"
pids=()
i=0
for exe in "$@"; do
    "$RUNNER" "$exe" "$T/simd$i.txt" &
    pids+=($!)
    i=$((i + 1))
done
for p in "${pids[@]}"; do wait "$p"; done
i=0
for exe in "$@"; do
    echo "arm64 NaN table: $exe against $PORT:"
    "$PORT" --compare "$T/simd$i.txt" "$T/portable.txt"
    echo
    i=$((i + 1))
done
