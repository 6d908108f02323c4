#!/usr/bin/env bash
# Smoke test of the ligo tool: each command on a tiny model, checking the
# exit status and the final JSON line. Usage: tests/tool_smoke.sh BUILD_DIR
set -euo pipefail
B=${1:-build}
L=$B/ligo
T=$B/tool_smoke
mkdir -p "$T"
cat README.md src/*.c src/ops/*.c > "$T/corpus.txt"
pass=0
fail=0
check() { # name, command...
    local name=$1
    shift
    local out
    if out=$("$@" 2>"$T/$name.err") && printf '%s\n' "$out" | tail -n 1 | grep -q '"ok":true'; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "tool smoke: $name failed:"
        tail -n 3 "$T/$name.err"
        printf '%s\n' "$out" | tail -n 1
    fi
}
expect_usage_error() { # name, command... (exit 2, a message on stderr)
    local name=$1
    shift
    local rc=0
    "$@" >/dev/null 2>"$T/$name.err" || rc=$?
    if [ "$rc" = 2 ] && [ -s "$T/$name.err" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "tool smoke: $name: exit $rc, want 2"
    fi
}
check train "$L" train --family gpt --data "$T/corpus.txt" --layers 1 --dim 32 --heads 2 --ffn 64 --ctx 32 --batch 4 \
    --steps 30 --warmup 5 --eval-windows 8 --out "$T/small.safetensors" --csv "$T/train.csv" --quiet --threads 1
check resume "$L" train --family gpt --data "$T/corpus.txt" --layers 1 --dim 32 --heads 2 --ffn 64 --ctx 32 --batch 4 \
    --steps 40 --warmup 5 --eval-windows 8 --out "$T/small2.safetensors" --resume "$T/small.safetensors" --quiet --threads 1
check eval "$L" eval --model "$T/small.safetensors" --data "$T/corpus.txt" --windows 8 --threads 1
check sample "$L" sample --model "$T/small.safetensors" --prompt "ligo" --tokens 20 --threads 1
check grow "$L" grow --from "$T/small.safetensors" --method ligo --fit-steps 5 --data "$T/corpus.txt" --ctx 32 \
    --batch 4 --eval-windows 8 --steps 5 --warmup 1 --out "$T/grown.safetensors" --operator-out "$T/op.safetensors" --quiet --threads 1
check grow_fpi "$L" grow --from "$T/small.safetensors" --method fpi --data "$T/corpus.txt" --batch 4 \
    --eval-windows 8 --out "$T/fpi.safetensors" --quiet --threads 1
# sizes not given follow the small model (1 x 32, 2 heads, FFN 64, context 32) and the new width
if python3 - "$T/fpi.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
meta = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])["__metadata__"]
got = {k: meta["ligo." + k] for k in ("n_layer", "d_model", "n_head", "d_ff", "ctx_len")}
want = {"n_layer": "2", "d_model": "64", "n_head": "4", "d_ff": "128", "ctx_len": "32"}
if got != want:
    print("tool smoke: grown sizes %s, want %s" % (got, want))
    sys.exit(1)
PY
then pass=$((pass + 1)); else fail=$((fail + 1)); fi
check show "$L" show --operator "$T/op.safetensors" --out "$T/show"
[ -s "$T/show/depth.svg" ] && [ -s "$T/show/width.svg" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "tool smoke: show drew nothing"; }
if command -v rsvg-convert >/dev/null; then # the pictures render
    for p in depth width; do
        if rsvg-convert "$T/show/$p.svg" -o "$T/show/$p.png" && [ "$(head -c 4 "$T/show/$p.png" | od -An -c | tr -d ' ')" = "211PNG" ]; then
            pass=$((pass + 1))
        else fail=$((fail + 1)); echo "tool smoke: $T/show/$p.svg does not render"; fi
    done
fi
check export "$L" export --model "$T/grown.safetensors" --hf "$T/hf"
[ -s "$T/hf/config.json" ] && [ -s "$T/hf/model.safetensors" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "tool smoke: export wrote nothing"; }
expect_usage_error bad_family "$L" train --family mamba --data "$T/corpus.txt"
expect_usage_error bad_number "$L" train --data "$T/corpus.txt" --layers x
expect_usage_error no_data "$L" train --family gpt
expect_usage_error bad_method "$L" grow --from "$T/small.safetensors" --method bogus
expect_usage_error unknown_cmd "$L" frobnicate
rc=0
"$L" eval --model /nonexistent.safetensors --data "$T/corpus.txt" >"$T/missing.out" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q '"ok":false' "$T/missing.out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "tool smoke: missing model: exit $rc"; fi
echo "tool smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
