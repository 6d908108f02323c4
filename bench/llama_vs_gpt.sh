#!/usr/bin/env bash
# The LLaMA-style family against GPT with one recipe (docs/results/llama.md):
# 4 layers x 128, 4 heads, context 128, batch 16, 3,000 steps, AdamW lr 1e-3
# (cosine to 1e-4 after 100 warm-up steps), seeds 1-3, on Tiny Shakespeare;
# plus one LLaMA with grouped KV heads (2 KV heads for 4 query heads, seed 1).
# Then, per checkpoint: `ligo eval` on the whole validation split, the
# PyTorch model of tools/ligo_torch.py on the same file (1e-5 relative), and
# function-preserving growth of each LLaMA to 8 x 256 (`ligo grow --method fpi
# --symmetry-noise 0`), whose validation loss must equal the small model's to
# 1e-5 relative (ligo eval prints six decimals; the PyTorch evaluations of
# both, in full precision, give the difference itself). Runs two trainings at once, one thread each; finished
# checkpoints are kept, so an interrupted sequence resumes.
#   bash bench/llama_vs_gpt.sh [BUILD] [TEXT] [OUT]
# then: python3 tools/llama_summary.py OUT docs/results
set -euo pipefail
B=${1:-build}
TEXT=${2:-data/tinyshakespeare.txt}
OUT=${3:-bench_out/llama}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"

train() { # name family seed [options...]
    local name=$1 fam=$2 seed=$3
    shift 3
    [ -f "$OUT/$name.safetensors" ] && return 0
    "$B/ligo" train --family "$fam" --data "$TEXT" --layers 4 --dim 128 --heads 4 --ctx 128 \
        --batch 16 --steps 3000 --lr 1e-3 --lr-min 1e-4 --warmup 100 --seed "$seed" \
        --eval-every 150 --eval-windows 128 --threads 1 --quiet "$@" \
        --csv "$OUT/$name.csv" --out "$OUT/$name.tmp.safetensors" > "$OUT/$name.train.json"
    mv "$OUT/$name.tmp.safetensors" "$OUT/$name.safetensors"
}

runs=(
    "gpt_s1 gpt 1" "llama_s1 llama 1"
    "gpt_s2 gpt 2" "llama_s2 llama 2"
    "gpt_s3 gpt 3" "llama_s3 llama 3"
    "llamagqa_s1 llama 1 --kv-heads 2"
)
pids=()
for r in "${runs[@]}"; do
    # shellcheck disable=SC2086
    train $r &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p"; done

for f in "$OUT"/*_s?.safetensors; do
    name=$(basename "$f" .safetensors)
    "$B/ligo" eval --model "$f" --data "$TEXT" --threads 0 > "$OUT/$name.eval.json"
    "$PY" tools/ligo_torch.py eval --model "$f" --data "$TEXT" > "$OUT/$name.torch.json"
    case $name in
        llama*)
            "$B/ligo" grow --from "$f" --data "$TEXT" --method fpi --symmetry-noise 0 \
                --out "$OUT/$name.fpi.safetensors" > "$OUT/$name.fpi.grow.json"
            "$B/ligo" eval --model "$OUT/$name.fpi.safetensors" --data "$TEXT" --threads 0 \
                > "$OUT/$name.fpi.eval.json"
            "$PY" tools/ligo_torch.py eval --model "$OUT/$name.fpi.safetensors" --data "$TEXT" \
                > "$OUT/$name.fpi.torch.json"
            ;;
    esac
done
"$PY" tools/llama_summary.py "$OUT"
