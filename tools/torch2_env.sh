#!/usr/bin/env bash
# tools/torch2_env.sh: PyTorch 2 and transformers from PyPI in a virtual
# environment outside the clone (issue 21); make torch2-env runs it.
#
#   tools/torch2_env.sh [--print-python|--print-dir|--check] [REQUIREMENTS]
#
# The environment lives in ${XDG_CACHE_HOME:-$HOME/.cache}/ligo/venv-<first
# 12 hex digits of sha256(REQUIREMENTS)> (LIGO_TORCH2_VENV overrides the
# whole path), so editing the requirements makes a new one and every clone
# and worktree shares the same one. It is complete when its marker file
# .ligo-complete exists: that is written last, after the install and an
# import check (torch with no GPU, transformers' three model classes), so
# an interrupted install is removed and redone on the next call. A lock
# (flock) keeps two builds of the same environment apart.
#
# No option: create it unless complete, then print its path on stdout.
# --print-python / --print-dir: print the path of its python / directory,
# create nothing. --check: exit 0 if it is complete, 1 if not.
# LIGO_TORCH2_BASE_PYTHON: the python that makes the environment
# (default /usr/bin/python3, Debian's, else python3 on PATH).
set -euo pipefail

mode=create
case "${1:-}" in
--print-python | --print-dir | --check) mode=${1#--}; shift ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
req=${1:-$here/requirements-torch2.txt}
[ -f "$req" ] || { echo "torch2_env: no requirements file $req" >&2; exit 2; }
hash=$(sha256sum "$req" | cut -c1-12)
home=${HOME:-$(cd ~ && pwd)}
cache=${XDG_CACHE_HOME:-$home/.cache}/ligo
venv=${LIGO_TORCH2_VENV:-$cache/venv-$hash}
marker=$venv/.ligo-complete

case $mode in
print-python) echo "$venv/bin/python"; exit 0 ;;
print-dir) echo "$venv"; exit 0 ;;
check) [ -f "$marker" ] && [ -x "$venv/bin/python" ]; exit $? ;;
esac

if [ -f "$marker" ] && [ -x "$venv/bin/python" ]; then
    echo "torch2_env: using $venv ($(sed -n 's/^torch=//p' "$marker"))" >&2
    echo "$venv"
    exit 0
fi

base=${LIGO_TORCH2_BASE_PYTHON:-}
if [ -z "$base" ]; then
    if [ -x /usr/bin/python3 ]; then base=/usr/bin/python3; else base=$(command -v python3); fi
fi
"$base" -c 'import venv, ensurepip' 2>/dev/null ||
    { echo "torch2_env: $base cannot make a virtual environment (Debian: apt-get install python3-venv)" >&2; exit 1; }

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if ! flock -n 9; then
    echo "torch2_env: another build of $venv is running; waiting for it" >&2
    flock 9
fi
if [ -f "$marker" ] && [ -x "$venv/bin/python" ]; then # the other build made it
    echo "$venv"
    exit 0
fi

start=$(date +%s)
echo "torch2_env: creating $venv from $req with $base ($("$base" --version 2>&1))" >&2
rm -rf "$venv"
"$base" -m venv "$venv"
py=$venv/bin/python
# binary wheels only (nothing is compiled), no pip cache (the environment
# itself is the cache), no pip self-upgrade check
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$py" -m pip install --quiet --no-cache-dir --only-binary=:all: -r "$req"
# torch must import and run on the CPU with no GPU attached
CUDA_VISIBLE_DEVICES= "$py" - <<'EOF'
import torch, transformers, safetensors, numpy
from transformers import GPT2LMHeadModel, BertForMaskedLM, ViTForImageClassification  # noqa: F401
x = torch.ones(4, 4) @ torch.ones(4, 4)
assert float(x.sum()) == 64.0
print("torch2_env: torch %s (cuda available: %s), transformers %s, safetensors %s, numpy %s"
      % (torch.__version__, torch.cuda.is_available(), transformers.__version__, safetensors.__version__,
         numpy.__version__), flush=True)
EOF
secs=$(($(date +%s) - start))
{
    echo "requirements=$hash"
    echo "base_python=$("$base" --version 2>&1)"
    echo "torch=$("$py" -c 'import torch; print(torch.__version__)')"
    echo "install_seconds=$secs"
    echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$marker.tmp"
mv "$marker.tmp" "$marker"
echo "torch2_env: ready in ${secs}s, $(du -sh "$venv" | cut -f1) on disk: $venv" >&2
echo "$venv"
