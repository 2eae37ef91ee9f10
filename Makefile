# Sluice: the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/install-deps.sh) and are safe to run again.

SWIFT ?= swift
RELEASE_BIN = .build/release

.PHONY: all deps build release test demo bench fuzz clean help

all: build

help:
	@echo "make demo   - build Sluice and run it on specs-example from this repository's Git history"
	@echo "make test   - install what the tests need and run them"
	@echo "make bench  - run the benchmarks (release build) and print their figures"
	@echo "make fuzz   - run the CEL and YAML fuzzers for FUZZ_SECONDS (default 300) from a random seed;"
	@echo "              the seed is printed; FUZZ_SEED=<seed> replays a run"
	@echo "make build  - debug build of the sluice binary and the sluice-runtime agent"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --product sluice
	$(SWIFT) build --product sluice-runtime

release: deps
	$(SWIFT) build -c release --product sluice
	$(SWIFT) build -c release --product sluice-runtime

test: deps
	@scripts/install-flink.sh >/dev/null
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo.sh $(RELEASE_BIN)/sluice

bench: deps
	$(SWIFT) build -c release --product sluice-bench
	$(SWIFT) build -c release --product sluice
	$(SWIFT) build -c release --product sluice-runtime
	@scripts/bench.sh $(RELEASE_BIN)/sluice-bench

# Not part of `make test` (which runs the same fuzz tests briefly, from fixed seeds).
FUZZ_SECONDS ?= 300
FUZZ_SEED ?=
fuzz: deps
	$(SWIFT) build --build-tests
	SLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) SLUICE_FUZZ_SEED=$(FUZZ_SEED) $(SWIFT) test --skip-build --filter FuzzTests

clean:
	rm -rf .build .bench
