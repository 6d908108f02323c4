#!/usr/bin/env bash
# The growth checks of the README: grow each family 2x deep and 2x wide with LiGO (100 fitting
# steps), and compare with a scratch model trained for the same FLOPs. Needs
# runs/shakespeare.safetensors (the README's train command) and bench_out/small_{bert,vit}
# (from ligo bench growth).
set -euo pipefail
cd "$(dirname "$0")/.."
L=build/ligo
TXT=../shared/data/tinyshakespeare.txt
mkdir -p runs
out=runs/grow_checks.txt
: > "$out"
one() { # family small_ckpt data batch ctx eval_windows
    local fam=$1 small=$2 data=$3 batch=$4 ctx=$5 win=$6
    local j flops steps s
    j=$($L grow --from "$small" --method ligo --fit-steps 100 --data "$data" --batch "$batch" --ctx "$ctx" \
        --eval-windows "$win" --out "runs/grown_$fam.safetensors" --quiet | tail -n 1)
    echo "$fam ligo: $j" >> "$out"
    flops=$(printf '%s' "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["operator_flops"])')
    # one scratch step first, to learn a training step's FLOPs
    s=$($L grow --from "$small" --method scratch --data "$data" --batch "$batch" --ctx "$ctx" --steps 1 --warmup 1 \
        --eval-windows 1 --out "runs/scratch1_$fam.safetensors" --quiet | tail -n 1)
    steps=$(printf '%s' "$s" | python3 -c "import json,sys,math; d=json.load(sys.stdin); print(math.ceil($flops/d['train_flops']))")
    s=$($L grow --from "$small" --method scratch --data "$data" --batch "$batch" --ctx "$ctx" --steps "$steps" \
        --warmup 10 --eval-windows "$win" --out "runs/scratch_$fam.safetensors" --quiet | tail -n 1)
    echo "$fam scratch ($steps steps): $s" >> "$out"
}
one gpt runs/shakespeare.safetensors "$TXT" 16 128 200
one bert bench_out/small_bert.safetensors "$TXT" 8 64 64
one vit bench_out/small_vit.safetensors /usr/share/datasets/fashion-mnist 32 64 2000
cat "$out"
