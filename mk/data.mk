# Data a clone can get:
#   make data        Tiny Shakespeare into data/tinyshakespeare.txt: a local
#                    copy beside the repository when there is one, else a
#                    download, SHA-256 checked either way (tools/get_data.py)
#   test-data        (in make test) get_data.py against a local HTTP server:
#                    good, corrupt and truncated files, no server

.PHONY: data test-data

data:
	$(PYTHON) tools/get_data.py --out $(TEXT)

$(TEXT):
	$(PYTHON) tools/get_data.py --out $(TEXT)

test-data:
	$(PYTHON) tests/data_fetch/test_get_data.py

TEST_EXTRA += test-data

# The README's C example, extracted, built against ligo.h (C99, gcc and
# clang) and run on a small text: it trains, grows with LiGO and saves.
.PHONY: test-readme
test-readme: ligo.h $(B)/ligo | $(B)
	$(PYTHON) tests/extract_readme.py README.md $(B)/readme_example.c
	$(CC) $(STD) $(WARN) -O2 -I. -o $(B)/readme_example $(B)/readme_example.c $(LDLIBS)
	$(CLANG) $(STD) $(WARN) -O2 -I. -fsyntax-only $(B)/readme_example.c
	head -c 40000 README.md > $(B)/readme_text.txt; cat src/*.c | head -c 40000 >> $(B)/readme_text.txt
	cd $(B) && rm -f grown.safetensors && ./readme_example readme_text.txt 20 2>/dev/null && test -s grown.safetensors
	$(B)/ligo eval --model $(B)/grown.safetensors --data $(B)/readme_text.txt >/dev/null
	@echo "test-readme: the README's example builds (gcc, clang), trains, grows and saves a model ligo eval reads"

TEST_EXTRA += test-readme
