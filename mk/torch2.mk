# PyTorch 2 and Hugging Face transformers from PyPI, beside Debian's
# PyTorch 1.13 (issue 21):
#   make torch2-env             create the virtual environment unless it is
#                               there and complete, print its path
#                               (tools/torch2_env.sh; several minutes and
#                               about 5 GB the first time, nvidia-* wheels
#                               included)
#   make print-torch2-python    its python (the variable TORCH2_PYTHON)
#   test-transformers           (in make test) ligo's --hf export loaded by
#                               transformers' own GPT2LMHeadModel,
#                               BertForMaskedLM and ViTForImageClassification
#                               (tests/torch/test_transformers.py); skipped
#                               when the environment is absent, except under
#                               CI=true, where it is created first
#   test-bench-torch2           (in make test) bench_train --check: ligo's
#                               loss before and after one AdamW step equals
#                               PyTorch 1.13's, PyTorch 2's eager and
#                               torch.compile's (config S; proves the
#                               compiled path with g++)
#
# The environment is ${XDG_CACHE_HOME:-$HOME/.cache}/ligo/venv-<first 12 hex
# of sha256(TORCH2_REQ)>, outside the clone; LIGO_TORCH2_VENV overrides it.

.PHONY: torch2-env print-torch2-python test-transformers test-bench-torch2

TORCH2_REQ    ?= tools/requirements-torch2.txt
TORCH2_ENV     = bash tools/torch2_env.sh
TORCH2_PYTHON := $(shell bash tools/torch2_env.sh --print-python $(TORCH2_REQ))

torch2-env:
	@$(TORCH2_ENV) $(TORCH2_REQ)

print-torch2-python:
	@echo $(TORCH2_PYTHON)

# Present and complete, or (CI) made now, or skipped with the reason.
define torch2_ready
	if ! $(TORCH2_ENV) --check $(TORCH2_REQ); then \
	    if [ "$${CI:-}" = true ]; then \
	        echo "$(1): CI=true and no PyTorch 2 environment: creating it (make torch2-env)"; \
	        $(TORCH2_ENV) $(TORCH2_REQ) >/dev/null || exit 1; \
	    else \
	        echo "$(1): skipped (no PyTorch 2 environment at $$($(TORCH2_ENV) --print-dir $(TORCH2_REQ)); make torch2-env creates it)"; \
	        exit 0; \
	    fi; \
	fi
endef

test-transformers: $(B)/ligo $(B)/ligo_dump
	@$(call torch2_ready,test-transformers); \
	$(TORCH2_PYTHON) tests/torch/test_transformers.py --build $(B)

test-bench-torch2: $(B)/bench_train
	@$(call torch2_ready,test-bench-torch2); \
	mkdir -p $(B)/bench_check && $(B)/bench_train --check $(B)/bench_check --torch2-python $(TORCH2_PYTHON) --require-torch2

TEST_EXTRA += test-transformers test-bench-torch2
