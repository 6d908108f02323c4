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
