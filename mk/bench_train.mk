# Training-step speed against PyTorch (issues 7 and 21). Not part of make test:
#   make bench-train                      all configs, 1 and 2 threads
#   make bench-train BENCH_TRAIN_ARGS="--configs M,L --threads 2"
#   make bench-train BENCH_TRAIN_ARGS="--rounds 3"   the README's table: ligo,
#                                         PyTorch 1.13 (Debian's), PyTorch 2 eager
#                                         and PyTorch 2 torch.compile (make
#                                         torch2-env) alternate, each one's median
#   make bench-train-check                same loss as torch_gpt.py from the same
#                                         weights, under every PyTorch there is
# (make test runs the check as test-bench-torch2, mk/torch2.mk.)

.PHONY: bench-train bench-train-check

BENCH_TRAIN_ARGS ?=

$(B)/bench_train: bench/train_speed.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -g -o $@ bench/train_speed.c $(LDLIBS)

bench-train: $(B)/bench_train
	$(B)/bench_train $(BENCH_TRAIN_ARGS)

bench-train-check: $(B)/bench_train
	$(B)/bench_train --check $(B)
