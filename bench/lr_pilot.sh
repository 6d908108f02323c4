#!/usr/bin/env bash
# A one-seed learning-rate pilot for the growth benchmark: each method of
# one setting and family trained on selection seed 0 at each peak rate,
# and the annealed validation loss at the full budget N printed as a table
# (method x rate). It chose the grid that bench/growth_all.sh searches on
# the selection seeds (docs/results/growth.md, "Learning rate"). Seed 0 is
# a selection seed, so nothing reported is chosen on it; runs are cached in
# OUT/runs/ and shared with growth_all.sh's where the keys agree.
#   bash bench/lr_pilot.sh [BUILD] [TEXT] [OUT]
# SETTING (depth), FAMILY (gpt), METHODS (scratch,stack,fpi,ligo-depth),
# LRS ("0.001 0.002 0.003 0.005 0.01") choose the grid; JOBS the runs at once.
set -euo pipefail
B=${1:-build}
TEXT=${2:-data/tinyshakespeare.txt}
OUT=${3:-bench_out}
SETTING=${SETTING:-depth}
FAMILY=${FAMILY:-gpt}
METHODS=${METHODS:-scratch,stack,fpi,ligo-depth}
LRS=${LRS:-"0.001 0.002 0.003 0.005 0.01"}
JOBS=${JOBS:-0} # runs at once (0: one per core)
mkdir -p "$OUT"
for r in $LRS; do
    echo "lr_pilot: $SETTING $FAMILY lr $r" >&2
    # scratch first: the tool needs it (it sets the targets)
    m="scratch,${METHODS//scratch,/}"
    m=${m%,scratch}
    "$B/ligo" bench growth --settings "$SETTING" --families "$FAMILY" --methods "$m" --select-seeds 0 \
        --report-seeds 1 --jobs "$JOBS" --lr "$r" --text "$TEXT" --out "$OUT" --tag "_pilot_${SETTING}_${FAMILY}_lr$r" --quiet \
        > "$OUT/pilot_${SETTING}_${FAMILY}_lr$r.log"
done
python3 - "$OUT" "$SETTING" "$FAMILY" "$METHODS" $LRS <<'EOF'
import json, sys
out, setting, family, methods, lrs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5:]
loss = {}
for r in lrs:
    with open("%s/pilot_%s_%s_lr%s.log" % (out, setting, family, r)) as f:
        g = json.loads(f.read().strip().splitlines()[-1])["settings"][setting][family]
    for m in methods:
        if m in g["methods"]:
            loss[(m, r)] = g["methods"][m]["loss_at"][-1]["mean"]
print("Annealed validation loss at N, seed 0, %s %s:\n" % (setting, family))
print("| peak rate | " + " | ".join(methods) + " |")
print("|---|" + "---|" * len(methods))
for r in lrs:
    print("| %s | " % r + " | ".join("%.4f" % loss[(m, r)] if (m, r) in loss else "-" for m in methods) + " |")
EOF
