# weir: the two commands a fresh Debian machine needs (see README.md):
#   make run    install what is missing, build, start the demo
#   make test   the same set-up, then every unit and integration test
# objs/Makefile is written by ./configure; this file only drives it.

O = objs
OA = objs-asan
OF = objs-fuzz
PROVE_JOBS ?= 2

all: build

deps:
	@sh auto/deps

# what building needs, not the test tools (chromium, nginx, ...)
deps-build:
	@sh auto/deps build

$(O)/Makefile: configure auto/*  auto/lib/*
	./configure --builddir=$(O)

$(OA)/Makefile: configure auto/* auto/lib/*
	./configure --builddir=$(OA) --with-sanitizers

build: $(O)/Makefile
	$(MAKE) -f $(O)/Makefile

build-asan: $(OA)/Makefile
	$(MAKE) -f $(OA)/Makefile

# the manual pages (weir.yaml(5) from the schema tables), the unit, the
# logrotate file and the default configuration, paths as configured
man: $(O)/Makefile build
	$(MAKE) -f $(O)/Makefile man

# needs ./configure --prefix=... (e.g. --prefix=/usr, see README.md);
# DESTDIR=... installs into a staging tree
install: $(O)/Makefile build
	$(MAKE) -f $(O)/Makefile install

# the Debian package (debian/), unsigned, into $(O)/deb; then lintian
deb:
	@sh auto/deps deb
	@sh auto/deb $(O)/deb

run: deps-build build
	@sh conf/demo.sh

unit: build
	$(MAKE) -f $(O)/Makefile unit
	@sh t/unit/run.sh $(O)

unit-asan: build-asan
	$(MAKE) -f $(OA)/Makefile unit
	@sh t/unit/run.sh $(OA)

# The benchmark smoke test loads both cores: it runs alone, after the rest,
# so that it neither disturbs nor is disturbed by timing-sensitive tests.
T_PARALLEL = $(filter-out t/bench_smoke.t,$(wildcard t/*.t))

integration: build
	prove -j$(PROVE_JOBS) $(T_PARALLEL)
	prove t/bench_smoke.t

# The whole integration suite once more against the ASan/UBSan binary.
# Leak checks stay with the unit tests (daemons exit without freeing);
# any other sanitizer report lands in $(OA)/san and fails the run. The
# directory is writable by all (sticky, as /tmp): weir's children run as
# nobody when the tests run as root, and must be able to report too.
integration-asan: build-asan
	rm -rf $(OA)/san && mkdir -p $(OA)/san && chmod 1777 $(OA)/san
	WEIR_BINARY=$(OA)/weir \
	ASAN_OPTIONS=detect_leaks=0:log_path=$(CURDIR)/$(OA)/san/asan \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/$(OA)/san/ubsan \
	    prove -j$(PROVE_JOBS) $(T_PARALLEL)
	@if ls $(OA)/san/* >/dev/null 2>&1; then cat $(OA)/san/*; \
	    echo "sanitizer reports above"; exit 1; fi
	@echo "integration under ASan/UBSan: no sanitizer reports"

# The fuzz targets of t/fuzz (lb_fuzz.h says how they are laid out):
# libFuzzer needs clang (auto/deps installs it); the whole tree is built
# once more in $(OF) with -fsanitize=fuzzer-no-link,address,undefined and
# each target links with its libweir.a. `make fuzz` runs each target for
# FUZZ_TIME seconds, `make fuzz-short` (part of `make test`) for
# FUZZ_SHORT_TIME; both fail when a target finds anything.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_SHORT_TIME ?= 10
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer

$(OF)/Makefile: configure auto/* auto/lib/*
	./configure --builddir=$(OF) --with-cc=$(FUZZ_CC) --without-cmocka \
	    --with-cc-opt="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    --with-ld-opt="-fsanitize=address,undefined"

build-fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "$(FUZZ_CC) not found:" \
	    "run auto/deps (it installs clang for make fuzz)" >&2; exit 1; }
	$(MAKE) $(OF)/Makefile
	$(MAKE) -f t/fuzz/Makefile O=$(OF) fuzz-all

fuzz: build-fuzz
	@sh t/fuzz/run.sh $(OF) $(FUZZ_TIME)

fuzz-short: build-fuzz
	@sh t/fuzz/run.sh $(OF) $(FUZZ_SHORT_TIME)

test: deps unit unit-asan integration integration-asan fuzz-short

# weir against nginx and HAProxy (bench/RESULTS.md); output in $(O)/bench
bench: deps build
	@WEIR_BINARY=$(O)/weir BENCH_OUT=$(O)/bench sh bench/run.sh

clean:
	rm -rf $(O) $(OA) $(OF)

.PHONY: all deps deps-build build build-asan man install deb run unit \
	unit-asan integration integration-asan build-fuzz fuzz fuzz-short test \
	bench clean
