# Training-step speed against PyTorch (issue 7). Not part of make test:
#   make bench-train                      all configs, 1 and 2 threads
#   make bench-train BENCH_TRAIN_ARGS="--configs M,L --threads 2"
#   make bench-train BENCH_TRAIN_ARGS="--rounds 3"   the README's table: ligo and
#                                         torch alternate, each side's median
#   make bench-train-check                same loss as torch_gpt.py from the same weights

.PHONY: bench-train bench-train-check

BENCH_TRAIN_ARGS ?=

$(B)/bench_train: bench/train_speed.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -g -o $@ bench/train_speed.c $(LDLIBS)

bench-train: $(B)/bench_train
	$(B)/bench_train $(BENCH_TRAIN_ARGS)

bench-train-check: $(B)/bench_train
	$(B)/bench_train --check $(B)
