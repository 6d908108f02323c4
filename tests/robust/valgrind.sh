#!/usr/bin/env bash
# valgrind memcheck over the ligo tool: a tiny train (GPT, BERT, ViT), a
# resume, grow (and its resume in each phase), eval, sample, export, and
# failing runs (bad files, bad values), each with no invalid access and no
# definite or indirect leak.
#   tests/robust/valgrind.sh BUILD_DIR
set -euo pipefail
B=${1:-build}
L=$(cd "$B" && pwd)/ligo
T=$B/robust/valgrind
rm -rf "$T"
mkdir -p "$T/vit"
python3 - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
with open(d + "/text.txt", "wb") as f:
    f.write(bytes((ord("a") + (i * 7 + i // 13) % 26) for i in range(4000)))
for split, n in (("train", 8), ("t10k", 4)):
    with open("%s/vit/%s-images-idx3-ubyte" % (d, split), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes((i * 31) % 256 for i in range(n * 784)))
    with open("%s/vit/%s-labels-idx1-ubyte" % (d, split), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))
open(d + "/junk.safetensors", "wb").write(b"\x10\0\0\0\0\0\0\0{\"a\":[1,2,3]}   ")
PY
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
M="--layers 1 --dim 16 --heads 2 --ctx 16 --batch 2 --eval-windows 2 --warmup 1 --quiet --threads 1"
n=0
run() { # expected-exit, name, args...
    local want=$1 name=$2 rc=0
    shift 2
    $VG "$L" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "valgrind: ligo $name: exit $rc (want $want; 99 = a memcheck error)"
        tail -n 30 "$T/$name.err"
        exit 1
    fi
    n=$((n + 1))
}
run 0 train      train --data "$T/text.txt" $M --steps 4 --ckpt-every 2 --out "$T/gpt.safetensors" --csv "$T/log.csv"
run 0 resume     train --data "$T/text.txt" $M --steps 6 --out "$T/gpt.safetensors" --resume "$T/gpt.safetensors"
run 0 train_bert train --family bert --data "$T/text.txt" $M --steps 2 --out "$T/bert.safetensors"
run 0 train_vit  train --family vit --data "$T/vit" --layers 1 --dim 8 --heads 2 --patch 14 --batch 2 --steps 2 \
    --eval-windows 2 --quiet --threads 1 --out "$T/vit.safetensors"
run 0 grow       grow --from "$T/gpt.safetensors" --method ligo --data "$T/text.txt" --ctx 16 --batch 2 --fit-steps 2 \
    --steps 2 --warmup 1 --eval-windows 2 --quiet --threads 1 --out "$T/grown.safetensors" --operator-out "$T/op.safetensors"
G="grow --from $T/gpt.safetensors --method ligo --data $T/text.txt --ctx 16 --batch 2 --warmup 1 --eval-windows 2"
G="$G --quiet --threads 1 --ckpt-every 1 --out $T/grown2.safetensors --fit-ckpt $T/fit.safetensors"
run 0 grow_ckpt    $G --fit-steps 2 --steps 2
run 0 grow_res_fit $G --fit-steps 3 --steps 2 --resume
run 0 grow_res_tr  $G --fit-steps 3 --steps 3 --resume
run 0 eval       eval --model "$T/grown.safetensors" --data "$T/text.txt" --windows 2 --threads 1
run 0 eval_vit   eval --model "$T/vit.safetensors" --data "$T/vit" --windows 2 --threads 1
run 0 sample     sample --model "$T/gpt.safetensors" --prompt ab --tokens 4 --threads 1
run 0 export     export --model "$T/bert.safetensors" --hf "$T/hf"
run 0 threads    eval --model "$T/gpt.safetensors" --data "$T/text.txt" --windows 2 --threads 2
run 1 bad_model  eval --model "$T/junk.safetensors" --data "$T/text.txt"
run 1 bad_data   train --data "$T/missing.txt" $M --steps 1
run 1 bad_out    grow --from "$T/gpt.safetensors" --data "$T/text.txt" --ctx 16 --batch 2 --fit-steps 1 --quiet \
    --eval-windows 2 --threads 1 --out "$T/no/dir/x.safetensors"
run 2 bad_value  train --data "$T/text.txt" --dim x
echo "valgrind: $n runs of build/ligo under memcheck (train, resume, grow and its resumes, eval, sample, export, failures): no invalid access, no leak"
