# brokerlock: `make test` is what CI runs (.ci/run).
GO ?= go

.PHONY: test lint vet fmt-check example bench fuzz

test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

example:
	$(GO) run ./examples/quickstart

# Benchmarks against etcd's concurrency.Mutex come with the performance issue.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Fuzz each target for FUZZTIME (the seed corpora also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseDuration -fuzztime $(FUZZTIME) ./brokerlock/
	$(GO) test -run '^$$' -fuzz FuzzEscapeID -fuzztime $(FUZZTIME) ./etcdadapter/
