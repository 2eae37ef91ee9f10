# Sluice: the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/install-deps.sh) and are safe to run again.

SWIFT ?= swift
RELEASE_BIN = .build/release

.PHONY: all deps build release test demo bench clean help

all: build

help:
	@echo "make demo   - build Sluice and run it on specs-example from this repository's Git history"
	@echo "make test   - install what the tests need and run them"
	@echo "make bench  - run the benchmarks (release build) and print their figures"
	@echo "make build  - debug build of the sluice binary"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --product sluice

release: deps
	$(SWIFT) build -c release --product sluice

test: deps
	@scripts/install-flink.sh >/dev/null
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo.sh $(RELEASE_BIN)/sluice

bench: deps
	$(SWIFT) build -c release --product sluice-bench
	$(SWIFT) build -c release --product sluice
	@scripts/bench.sh $(RELEASE_BIN)/sluice-bench

clean:
	rm -rf .build .bench
