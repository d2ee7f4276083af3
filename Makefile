# brokerlock: `make test` is what CI runs (.ci/run).
GO ?= go

.PHONY: test lint vet fmt-check example bench fuzz chaos

test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

example:
	$(GO) run ./examples/quickstart

# Benchmarks of brokerlock against etcd's concurrency.Mutex and
# concurrency.Election (etcdadapter/*bench_test.go, BENCHMARKS.md), and
# Contended8 against the physical limit of a handoff (Contended8/limit:
# bare delete + linearizable read, a table of its own); the
# election failover runs 60 handoffs a round (its p50 and p99 need ≥ 50).
# Semaphore16 (semaphore vs item) and RWLockReader (reader vs item) compare
# two of our own primitives: they are in bench.txt, not in the table. Each of BENCHCOUNT rounds runs every
# scenario once for each, brokerlock first in odd rounds and mutex first in
# even ones (A B, B A, ...: whichever runs first in a fresh process pays
# for etcd's warm-up); the 1,000- and 10,000-lock scenarios run one
# iteration per round; Held10000Apart runs its etcd in a process of its own
# (built here from the module's etcd) to tell client and server apart, and
# HeldScale (1,000, 10,000 and 100,000 held; the same etcd) runs once at the
# end. Raw output
# in bench-results/bench.txt (benchstat reads it), the embedded etcd's log
# in bench-results/stderr.txt, then a Markdown table of medians, and the
# pictures BENCHMARKS.md embeds (docs/bench/*.svg, drawn by cmd/benchplot,
# a module of its own: gonum's plot stays out of the library's go.mod).
BENCHCOUNT ?= 6
BENCHTIME ?= 2s
BENCHBIN = bench-results/etcdadapter.test
bench:
	@rm -rf bench-results/samples && mkdir -p bench-results/samples && rm -f bench-results/bench.txt bench-results/stderr.txt
	$(GO) test -c -o $(BENCHBIN) ./etcdadapter/
	$(GO) build -o bench-results/etcd ./internal/chaos/cmd/chaosetcd
	for i in $$(seq $(BENCHCOUNT)); do \
		export BROKERLOCK_BENCH_MUTEX_FIRST=$$(( (i + 1) % 2 )) BROKERLOCK_BENCH_SAMPLES=bench-results/samples; \
		$(BENCHBIN) -test.run '^$$' -test.bench '^Benchmark(Uncontended|UncontendedKeepAlive|Contended8|Distinct32|Semaphore16|RWLockReader)$$' \
			-test.benchtime $(BENCHTIME) -test.benchmem >bench-results/round.txt 2>>bench-results/stderr.txt || exit 1; \
		tee -a bench-results/bench.txt <bench-results/round.txt; \
		BROKERLOCK_BENCH_ETCD=bench-results/etcd $(BENCHBIN) -test.run '^$$' \
			-test.bench '^Benchmark(Waiters1000|Waiters1000Over50|Held10000|Held10000Apart|ElectionHerd|SemaphoreWaiters1000)$$' \
			-test.benchtime 1x -test.benchmem >bench-results/round.txt 2>>bench-results/stderr.txt || exit 1; \
		tee -a bench-results/bench.txt <bench-results/round.txt; \
		$(BENCHBIN) -test.run '^$$' -test.bench '^BenchmarkElectionFailover$$' \
			-test.benchtime 60x >bench-results/round.txt 2>>bench-results/stderr.txt || exit 1; \
		tee -a bench-results/bench.txt <bench-results/round.txt; \
	done
	BROKERLOCK_BENCH_ETCD=bench-results/etcd $(BENCHBIN) -test.run '^$$' -test.bench '^BenchmarkHeldScale$$' \
		-test.benchtime 1x >bench-results/round.txt 2>>bench-results/stderr.txt || exit 1
	tee -a bench-results/bench.txt <bench-results/round.txt
	$(GO) run ./cmd/benchtable bench-results/bench.txt
	cd cmd/benchplot && $(GO) run . -bench ../../bench-results/bench.txt -samples ../../bench-results/samples -out ../../docs/bench

# Fuzz each target for FUZZTIME (the seed corpora also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseDuration -fuzztime $(FUZZTIME) ./brokerlock/
	$(GO) test -run '^$$' -fuzz FuzzEscapeID -fuzztime $(FUZZTIME) ./etcdadapter/

# The fault suite's long run (etcdadapter/faults, RELIABILITY.md): every
# fault SOAK rounds in both TTL modes on a 3-member embedded cluster; about
# 2 minutes plus 2 per round (SOAK=5: ~12 min). `make test` runs each fault once.
SOAK ?= 5
.PHONY: soak
soak:
	BROKERLOCK_SOAK=$(SOAK) $(GO) test -race -count=1 -timeout 120m -run '^TestSoak$$' -v ./etcdadapter/faults/

# The real-process fault harness (internal/chaos, RELIABILITY.md): 3-member
# clusters of real etcd processes (built from the etcd this module depends
# on, and Debian's etcd 3.4 at CHAOS_ETCD34 when it is there), real worker
# processes, each in its own network namespace (root: ip netns), through
# SIGKILL, SIGSTOP and partitions, for the lock, the semaphore, the RW lock
# and the election. CHAOS_TIME of faults in all (default 5m: every scenario
# once per etcd and workload rotation); results, histories and timelines in
# chaos-results/. Exits non-zero on any violation.
CHAOS_TIME ?= 5m
CHAOS_ETCD34 ?= /usr/bin/etcd
CHAOS_BIN = chaos-results/bin
CHAOS_OUT ?= chaos-results/latest
chaos:
	@mkdir -p $(CHAOS_BIN)
	$(GO) build -o $(CHAOS_BIN)/ ./internal/chaos/cmd/...
	etcds=$(CHAOS_BIN)/chaosetcd; \
	if [ -x "$(CHAOS_ETCD34)" ]; then etcds=$$etcds,$(CHAOS_ETCD34); else echo "chaos: no etcd 3.4 at $(CHAOS_ETCD34): running against etcd 3.7 only"; fi; \
	$(CHAOS_BIN)/chaos -etcd $$etcds -worker $(CHAOS_BIN)/chaosworker -time $(CHAOS_TIME) -out $(CHAOS_OUT)

# brokerlock side by side with etcd's Mutex, ZooKeeper's lock recipe and a
# Redis lock (issue 16, BENCHMARKS.md), every server a process of its own,
# started by cmd/benchpeers (a module of its own: the peers' clients stay
# out of the library's go.mod). Not part of `make test` or CI. Needs
# Debian's zookeeper (on a JRE) and redis-server; a missing one is skipped
# with a message (apt-get install zookeeper default-jre-headless redis-server).
PEERS_ROUNDS ?= 3
PEERS_TIME ?= 5s
.PHONY: bench-peers
bench-peers:
	@mkdir -p bench-results
	$(GO) build -o bench-results/etcd ./internal/chaos/cmd/chaosetcd
	cd cmd/benchpeers && $(GO) run . -etcd ../../bench-results/etcd -rounds $(PEERS_ROUNDS) -time $(PEERS_TIME) \
		-raw ../../bench-results/peers.txt | tee ../../bench-results/peers.md
	cd cmd/benchplot && $(GO) run . -peers ../../bench-results/peers.txt -out ../../docs/bench
