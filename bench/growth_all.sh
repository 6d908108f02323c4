#!/usr/bin/env bash
# The growth benchmark's headline runs (docs/results/growth.md): every
# setting and family under the protocol of docs/design.md section 6, each
# its own invocation (each within an hour on two cores), then the summary
# table. Runs are cached in OUT/runs/, so an interrupted sequence resumes.
#   bash bench/growth_all.sh [BUILD] [TEXT] [OUT]
set -euo pipefail
B=${1:-build}
TEXT=${2:-data/tinyshakespeare.txt}
OUT=${3:-bench_out}
# the variants tried on GPT's selection seeds (the same count for every method with a knob)
GPT_VARIANTS="stack:noise=0.03,interlace:noise=0.03,fpi:noise=0.03,aki:noise=0.03,ligo-depth:noise=0.03,ligo:fit_lr=0.003,ligo-width:fit_lr=0.003"
mkdir -p "$OUT"
run() { # setting family [options...]
    local s=$1 f=$2
    shift 2
    echo "growth_all: $s $f" >&2
    "$B/ligo" bench growth --settings "$s" --families "$f" --text "$TEXT" --out "$OUT" --tag "_${s}_${f}" "$@" \
        > "$OUT/${s}_${f}.log" 2> "$OUT/${s}_${f}.err"
}
run both gpt --variants "$GPT_VARIANTS"
run both bert
run both vit
# LLaMA: LiGO against stacking and scratch (issue 20's comparison; Du et al.
# 2024 found learned growth no better than stacking for LLaMA models)
run both llama --methods scratch,stack,ligo
for s in depth width; do
    for f in gpt bert vit; do run "$s" "$f"; done
done
python3 tools/growth_summary.py "$OUT"/both_*.log "$OUT"/depth_*.log "$OUT"/width_*.log
