# The LiGO operator in PyTorch (issue "Beyond one machine", part 1):
#   test-grow-torch   tools/ligo_grow_torch.py materialises the large model
#                     from a small checkpoint and `ligo grow --operator-out`'s
#                     file equal to ligo's grown checkpoint, per tensor to
#                     1e-6 of its largest value, for GPT, BERT and ViT, every
#                     method ligo saves an operator for and the options, and
#                     refuses what it does not support
#                     (tests/torch/test_grow_torch.py); skipped when torch
#                     does not import. In make test (TEST_EXTRA).
#   test-fit-torch    tools/ligo_fit_torch.py: 20 fitting steps in PyTorch
#                     on the batches `ligo grow --fit-batches-out` recorded
#                     equal ligo's 20 to 1e-4 of the operator's RMS (GPT,
#                     BERT, ViT, options); 2 processes (DDP, gloo on
#                     loopback) equal 1; `ligo grow --operator-in` grows the
#                     PyTorch fit (tests/torch/test_fit_torch.py). In make
#                     test; skipped when torch does not import.
# /usr/bin/python3 is Debian's, with python3-torch; PYTHON may be another (as
# in mk/install.mk, which this file is read before).
TORCH_PYTHON ?= $(shell for p in /usr/bin/python3 $(PYTHON); do $$p -c 'import torch' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: test-grow-torch test-fit-torch

test-grow-torch: $(B)/ligo
ifeq ($(TORCH_PYTHON),)
	@echo "test-grow-torch: skipped (torch is not importable; Debian: apt-get install python3-torch)"
else
	$(TORCH_PYTHON) tests/torch/test_grow_torch.py --build $(B)
endif

test-fit-torch: $(B)/ligo
ifeq ($(TORCH_PYTHON),)
	@echo "test-fit-torch: skipped (torch is not importable; Debian: apt-get install python3-torch)"
else
	$(TORCH_PYTHON) tests/torch/test_fit_torch.py --build $(B)
endif

TEST_EXTRA += test-grow-torch test-fit-torch
