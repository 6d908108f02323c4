#!/usr/bin/env bash
# bench/pool_spin.sh: the thread pool's spin before blocking, measured.
#
# The spin is a compile-time choice, so this builds bench_train and
# bench_gemm once per variant: the default (timed, adaptive: src/pool.c)
# and each fixed spin in SPINS (-DLIGO_POOL_SPIN=n pauses; default "500 0":
# the old fixed default, and blocking at once). Then, in ROUNDS rounds (3),
# every variant in turn, the order rotated each round so drift spreads over
# all of them:
#   train    bench_train M and L, two threads, tokens/s
#   crowded  two 2-thread M trainings at once on the machine's cores (more
#            threads than cores: a spinning thread can starve the thread it
#            waits for), the two runs' tokens/s summed
#   gemm     bench_gemm --quick: each shape's two-thread ratio to BLIS
#            (which does not change between variants), when BLIS is there
# Printed: per variant and measure the median over the rounds and its ratio
# to the default's median, then one JSON line. Run it on idle cores: this
# machine's speed drifts, only ratios within one invocation mean anything.
#   bash bench/pool_spin.sh [OUT_DIR]        (OUT_DIR: build/pool_spin)
set -euo pipefail
OUT=${1:-build/pool_spin}
SPINS=${SPINS:-"500 0"}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}
CFLAGS="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
mkdir -p "$OUT"
BLIS_FLAGS=""
if printf '#include <blis.h>\nint main(void){return 0;}\n' | $CC -x c - -o /dev/null -lblis -lm -lpthread 2>/dev/null; then
    BLIS_FLAGS="-DLIGO_BENCH_BLIS -lblis"
fi
variants=(adaptive)
for s in $SPINS; do variants+=("fixed$s"); done
n=${#variants[@]}
record() { # variant round measure: wrap the JSON line on stdin, append it
    sed "s/^/{\"variant\":\"$1\",\"round\":$2,\"measure\":\"$3\",\"out\":/; s/\$/}/" >> "$OUT/runs.jsonl"
}
for v in "${variants[@]}"; do
    def=""
    [ "$v" != adaptive ] && def="-DLIGO_POOL_SPIN=${v#fixed}"
    mkdir -p "$OUT/$v"
    # shellcheck disable=SC2086
    $CC $CFLAGS $def -o "$OUT/$v/bench_train" bench/train_speed.c -lm -lpthread
    # shellcheck disable=SC2086
    $CC $CFLAGS $def -o "$OUT/$v/bench_gemm" bench/gemm.c $BLIS_FLAGS -lm -lpthread
done
: > "$OUT/runs.jsonl"
for r in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $((n - 1))); do
        v=${variants[$(( (i + r - 1) % n ))]} # the order rotated by one each round
        echo "pool_spin: round $r, $v" >&2
        t="$OUT/$v/bench_train --threads 2 --no-torch --no-peak --fit-steps 0 --steps 10 --warmup 2"
        $t --configs M,L | tail -1 | record "$v" "$r" train
        $t --configs M > "$OUT/crowd_a.txt" &
        pa=$!
        $t --configs M > "$OUT/crowd_b.txt"
        wait "$pa"
        for f in a b; do
            tail -1 "$OUT/crowd_$f.txt" | record "$v" "$r" crowded
        done
        if [ -n "$BLIS_FLAGS" ]; then
            "$OUT/$v/bench_gemm" --quick | tail -1 | record "$v" "$r" gemm
        fi
    done
done
python3 - "$OUT/runs.jsonl" "${variants[@]}" <<'EOF'
import json, statistics, sys
path, variants = sys.argv[1], sys.argv[2:]
runs = [json.loads(line) for line in open(path)]
table = {}  # (measure, variant) -> [per-round values]
for x in runs:
    v, m, o = x["variant"], x["measure"], x["out"]
    if m == "train":
        for run in o["runs"]:
            table.setdefault(("train " + run["config"] + " tok/s", v), {}).setdefault(x["round"], []).append(run["ligo_tok_s"])
    elif m == "crowded":
        table.setdefault(("crowded M x2 tok/s (sum)", v), {}).setdefault(x["round"], []).append(o["runs"][0]["ligo_tok_s"])
    else:
        for row in o["rows"]:
            table.setdefault(("gemm " + row["name"] + " 2t/BLIS", v), {}).setdefault(x["round"], []).append(row["ratio_2t"])
measures = sorted({m for m, _ in table}, key=lambda s: (not s.startswith("train"), not s.startswith("crowded"), s))
med = {}
for (m, v), by_round in table.items():
    per = [sum(vals) if m.startswith("crowded") else vals[0] for vals in by_round.values()]
    med[(m, v)] = statistics.median(per)
print("| measure | " + " | ".join(variants) + " |")
print("|---|" + "---|" * len(variants))
for m in measures:
    base = med.get((m, variants[0]))
    cells = []
    for v in variants:
        x = med.get((m, v))
        if x is None:
            cells.append("")
        elif v == variants[0] or not base:
            cells.append("%.3g" % x if x < 10 else "%.0f" % x)
        else:
            cells.append(("%.3g" % x if x < 10 else "%.0f" % x) + " (%.2fx)" % (x / base))
    print("| %s | %s |" % (m, " | ".join(cells)))
print("(median over the rounds; in brackets: against %s's median)" % variants[0])
print(json.dumps({"bench": "pool_spin", "variants": variants,
                  "median": {m: {v: med[(m, v)] for v in variants if (m, v) in med} for m in measures}}))
EOF
