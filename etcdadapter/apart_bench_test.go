package etcdadapter_test

import (
	"fmt"
	"os"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// benchTarget is an etcd server the benchmarks run against.
type benchTarget struct {
	endpoints []string
	newClient func(testing.TB) *clientv3.Client
	admin     *clientv3.Client // counts keys and leases
}

// apart is, while BenchmarkHeld10000Apart runs, the etcd server in a
// process of its own; nil otherwise.
var apart *benchTarget

// target is the server the benchmarks use now: apart, or the embedded
// etcd.
func target() benchTarget {
	if apart != nil {
		return *apart
	}
	return benchTarget{endpoints: etcd.Endpoints(), newClient: etcd.NewClient, admin: etcd.Client()}
}

// BenchmarkHeld10000Apart is BenchmarkHeld10000 against an etcd server in
// a process of its own ($BROKERLOCK_BENCH_ETCD; `make bench` builds it from
// the module's etcd), so that B/lock is the client's heap alone, and
// server-B/lock the server's (in use after a GC it is asked for).
func BenchmarkHeld10000Apart(b *testing.B) {
	startApart(b)
	BenchmarkHeld10000(b)
}

// startApart starts the etcd binary at $BROKERLOCK_BENCH_ETCD as apart
// until b ends.
func startApart(b *testing.B) {
	path := os.Getenv("BROKERLOCK_BENCH_ETCD")
	if path == "" {
		b.Skip("BROKERLOCK_BENCH_ETCD names no etcd binary (`make bench` builds one)")
	}
	bin := testutil.StartBinary(b, path)
	apart = &benchTarget{endpoints: bin.Endpoints(), newClient: bin.NewClient, admin: bin.NewClient(b)}
	b.Cleanup(func() { apart = nil })
}

// BenchmarkHeldScale is BenchmarkHeld10000Apart at 1,000, 10,000 and
// 100,000 locks held by one client on one lease: what one more held lock
// costs should not grow with the number held. us/lock is the time to
// acquire them all, per lock.
func BenchmarkHeldScale(b *testing.B) {
	startApart(b)
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			runVariants(b, brokerlock.Options{KeepAlive: true}, func(b *testing.B, makeLockers lockerMaker) {
				sums := metricSums{}
				for range b.N {
					holdMany(b, n, makeLockers, sums)
				}
				sums["us/lock"] = float64(b.Elapsed().Microseconds()) / float64(n) // report divides by b.N
				sums.report(b, b.N)
			})
		})
	}
}
