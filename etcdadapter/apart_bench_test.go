package etcdadapter_test

import (
	"os"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

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
	path := os.Getenv("BROKERLOCK_BENCH_ETCD")
	if path == "" {
		b.Skip("BROKERLOCK_BENCH_ETCD names no etcd binary (`make bench` builds one)")
	}
	bin := testutil.StartBinary(b, path)
	apart = &benchTarget{endpoints: bin.Endpoints(), newClient: bin.NewClient, admin: bin.NewClient(b)}
	defer func() { apart = nil }()
	BenchmarkHeld10000(b)
}
