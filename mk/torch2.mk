# PyTorch 2 and Hugging Face transformers from PyPI, beside Debian's
# PyTorch 1.13 (issue 21):
#   make torch2-env             create the virtual environment unless it is
#                               there and complete, print its path
#                               (tools/torch2_env.sh; several minutes and
#                               about 5 GB the first time, nvidia-* wheels
#                               included)
#   make print-torch2-python    its python (the variable TORCH2_PYTHON)
#
# The environment is ${XDG_CACHE_HOME:-$HOME/.cache}/ligo/venv-<first 12 hex
# of sha256(TORCH2_REQ)>, outside the clone; LIGO_TORCH2_VENV overrides it.

.PHONY: torch2-env print-torch2-python

TORCH2_REQ    ?= tools/requirements-torch2.txt
TORCH2_ENV     = bash tools/torch2_env.sh
TORCH2_PYTHON := $(shell bash tools/torch2_env.sh --print-python $(TORCH2_REQ))

torch2-env:
	@$(TORCH2_ENV) $(TORCH2_REQ)

print-torch2-python:
	@echo $(TORCH2_PYTHON)
