# weir: the two commands a fresh Debian machine needs (see README.md):
#   make run    install what is missing, build, start the demo
#   make test   the same set-up, then every unit and integration test
# objs/Makefile is written by ./configure; this file only drives it.

O = objs
OA = objs-asan
PROVE_JOBS ?= 2

all: build

deps:
	@sh auto/deps

$(O)/Makefile: configure auto/*  auto/lib/*
	./configure --builddir=$(O)

$(OA)/Makefile: configure auto/* auto/lib/*
	./configure --builddir=$(OA) --with-sanitizers --with-debug

build: $(O)/Makefile
	$(MAKE) -f $(O)/Makefile

build-asan: $(OA)/Makefile
	$(MAKE) -f $(OA)/Makefile

run: deps build
	@sh conf/demo.sh

unit: build
	$(MAKE) -f $(O)/Makefile unit
	@sh t/unit/run.sh $(O)

unit-asan: build-asan
	$(MAKE) -f $(OA)/Makefile unit
	@sh t/unit/run.sh $(OA)

integration: build
	prove -j$(PROVE_JOBS) t/

test: deps unit unit-asan integration

bench: deps build
	@sh bench/run.sh

clean:
	rm -rf $(O) $(OA)

.PHONY: all deps build build-asan run unit unit-asan integration test bench clean
