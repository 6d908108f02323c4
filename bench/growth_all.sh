#!/usr/bin/env bash
# The growth benchmark's headline runs (docs/results/growth.md): every
# setting and family under the protocol of docs/design.md section 6, each
# its own invocation (each within an hour on two cores), then the summary
# table. Runs are cached in OUT/runs/, so an interrupted sequence resumes;
# scratch's runs are shared between settings, so the depth and width
# invocations of a family reuse the ones its "both" invocation made.
#   bash bench/growth_all.sh [BUILD] [TEXT] [OUT]
# LRS: the large runs' peak learning rates tried for every method on the
# selection seeds (the first is the default, the others variants "m:lr=R"),
# so every method, scratch included, gets the same learning-rate search.
# LRS=0.001 reproduces the earlier tables, run at one shared rate 1e-3
# (docs/results/growth.md says which tables are which).
# ONLY: a space-separated list of "setting_family" names (e.g. "depth_bert
# width_gpt") to run just those invocations, in the usual order; the
# summary then covers the logs present in OUT.
# BERT_LRS: BERT's grid. Every BERT method chose 3e-3, the bottom of
# "0.003 0.01", and scratch at the old shared 1e-3 had ended lower, so
# BERT's grid adds 1e-3 (each variant is tried against the default alone;
# the lowest of the three is kept). Ignored when LRS=0.001.
set -euo pipefail
B=${1:-build}
TEXT=${2:-data/tinyshakespeare.txt}
OUT=${3:-bench_out}
# the variants tried on GPT's selection seeds (the same count for every method with a knob)
GPT_VARIANTS="stack:noise=0.03,interlace:noise=0.03,fpi:noise=0.03,aki:noise=0.03,ligo-depth:noise=0.03,ligo:fit_lr=0.003,ligo-width:fit_lr=0.003"
LRS=${LRS:-"0.003 0.01"}
BERT_LRS=${BERT_LRS:-"0.003 0.01 0.001"}
ALL_METHODS="scratch,stack,interlace,fpi,aki,ligo,ligo-depth,ligo-width"
# the tag: the earlier tables' names at the shared 1e-3, "_lr" after them otherwise
if [ "$LRS" = "0.001" ]; then SUF=""; else SUF="_lr"; fi
mkdir -p "$OUT"
lr_variants() { # methods grid: "m:lr=R" for every method and every rate of the grid after its first
    local m r v="" first=${2%% *}
    for m in ${1//,/ }; do
        for r in ${2#"$first"}; do v="$v,$m:lr=$r"; done
    done
    echo "${v#,}"
}
run() { # setting family methods [variants]
    local s=$1 f=$2 m=$3 v=${4:-} lv grid=$LRS
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" ${s}_${f} "* ]]; then return 0; fi
    [ "$f" = bert ] && [ "$LRS" != "0.001" ] && grid=$BERT_LRS
    lv=$(lr_variants "$m" "$grid")
    [ -n "$lv" ] && v="${v:+$v,}$lv"
    echo "growth_all: $s $f" >&2
    "$B/ligo" bench growth --settings "$s" --families "$f" --methods "$m" ${v:+--variants "$v"} --lr "${grid%% *}" \
        --text "$TEXT" --out "$OUT" --tag "_${s}_${f}$SUF" > "$OUT/${s}_${f}$SUF.log" 2> "$OUT/${s}_${f}$SUF.err"
}
run both gpt "$ALL_METHODS" "$GPT_VARIANTS"
run both bert "$ALL_METHODS"
run both vit "$ALL_METHODS"
# LLaMA: LiGO against stacking and scratch (issue 20's comparison; Du et al.
# 2024 found learned growth no better than stacking for LLaMA models)
run both llama scratch,stack,ligo
for s in depth width; do
    for f in gpt bert vit; do run "$s" "$f" "$ALL_METHODS"; done
done
shopt -s nullglob
python3 tools/growth_summary.py "$OUT"/both_*"$SUF".log "$OUT"/depth_*"$SUF".log "$OUT"/width_*"$SUF".log
