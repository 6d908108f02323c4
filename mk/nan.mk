# Bad numbers (issue 17):
#   nan-table   (in make test) tests/nan_table.c built with the SIMD paths
#               (gcc and clang) and with LIGO_NO_SIMD: every output element
#               of every case (NaN, +inf, -inf at each position of each
#               input of each op with a SIMD path, rows of 1 to 40) must be
#               NaN, +inf, -inf or finite alike in the three builds
NB = $(B)/nan

.PHONY: nan-table

$(NB)/nan_table: tests/nan_table.c ligo.h
	@mkdir -p $(NB)
	$(CC) $(STD) $(WARN) -O2 -g -o $@ $< $(LDLIBS)

$(NB)/nan_table_clang: tests/nan_table.c ligo.h
	@mkdir -p $(NB)
	$(CLANG) $(STD) $(WARN) -O2 -g -o $@ $< $(LDLIBS)

$(NB)/nan_table_portable: tests/nan_table.c ligo.h
	@mkdir -p $(NB)
	$(CC) $(STD) $(WARN) -O2 -g -DLIGO_NO_SIMD -o $@ $< $(LDLIBS)

nan-table: $(NB)/nan_table $(NB)/nan_table_clang $(NB)/nan_table_portable
	$(NB)/nan_table $(NB)/simd-gcc.txt
	$(NB)/nan_table_clang $(NB)/simd-clang.txt
	$(NB)/nan_table_portable $(NB)/portable.txt
	$(NB)/nan_table --compare $(NB)/simd-gcc.txt $(NB)/portable.txt
	$(NB)/nan_table --compare $(NB)/simd-clang.txt $(NB)/portable.txt

TEST_EXTRA += nan-table
