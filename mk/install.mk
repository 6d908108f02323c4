# Packaging and interop (issue 9):
#   make install [PREFIX=/usr/local] [DESTDIR=]   headers, the ligo tool,
#                                                 pkg-config and CMake files
#   make uninstall [PREFIX=...] [DESTDIR=]        removes exactly those files
#   test-install   install into a temporary prefix, build consumers with
#                  pkg-config and CMake, run them, uninstall, check it is empty
#   test-torch     PyTorch round trip (tools/ligo_torch.py), when torch imports
#   check-tour     every file and function docs/tour.md cites still exists, and
#                  every LIGO_* option the sources honour is in the OPTIONS table

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR   ?= $(LIBDIR)/cmake/ligo
INSTALL    ?= install
LIGO_VERSION := $(shell sed -n 's/^\#define LIGO_VERSION_STRING "\(.*\)"/\1/p' src/ligo_api.h)

.PHONY: install uninstall test-install test-torch check-tour

$(B)/ligoConfig.cmake: cmake/ligoConfig.cmake.in src/ligo_api.h | $(B)
	sed -e 's|@VERSION@|$(LIGO_VERSION)|g' $< > $@

$(B)/ligoConfigVersion.cmake: cmake/ligoConfigVersion.cmake.in src/ligo_api.h | $(B)
	sed -e 's|@VERSION@|$(LIGO_VERSION)|g' $< > $@

# The .pc file records PREFIX, so it is rebuilt on every install.
install: ligo.h $(B)/ligo $(B)/ligoConfig.cmake $(B)/ligoConfigVersion.cmake
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIGO_VERSION)|g' ligo.pc.in > $(B)/ligo.pc
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
	$(INSTALL) -m 644 ligo.h ligo_blas.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 755 $(B)/ligo $(DESTDIR)$(BINDIR)/ligo
	$(INSTALL) -m 644 $(B)/ligo.pc $(DESTDIR)$(PKGCONFIGDIR)/ligo.pc
	$(INSTALL) -m 644 $(B)/ligoConfig.cmake $(B)/ligoConfigVersion.cmake $(DESTDIR)$(CMAKEDIR)/

# Removes the files install wrote and the package's own CMake directory;
# shared directories (bin, include, lib/pkgconfig) are left in place.
uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ligo.h $(DESTDIR)$(INCLUDEDIR)/ligo_blas.h $(DESTDIR)$(BINDIR)/ligo \
	    $(DESTDIR)$(PKGCONFIGDIR)/ligo.pc $(DESTDIR)$(CMAKEDIR)/ligoConfig.cmake \
	    $(DESTDIR)$(CMAKEDIR)/ligoConfigVersion.cmake
	-rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true

test-install: $(B)/ligo
	bash tests/install/run.sh "$(MAKE)" $(B)

# /usr/bin/python3 is Debian's, with python3-torch; PYTHON may be another.
TORCH_PYTHON ?= $(shell for p in /usr/bin/python3 $(PYTHON); do $$p -c 'import torch' 2>/dev/null && { echo $$p; break; }; done)

$(B)/ligo_dump: tests/torch/ligo_dump.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -o $@ $< $(LDLIBS)

test-torch: $(B)/ligo $(B)/ligo_dump
ifeq ($(TORCH_PYTHON),)
	@echo "test-torch: skipped (torch is not importable; Debian: apt-get install python3-torch)"
else
	$(TORCH_PYTHON) tests/torch/test_roundtrip.py --build $(B)
endif

check-tour:
	$(PYTHON) tests/check_tour.py docs/tour.md
	$(PYTHON) tests/check_options.py

TEST_EXTRA += test-install test-torch check-tour
