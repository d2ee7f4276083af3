package etcdadapter_test

// Benchmarks of brokerlock on etcd against etcd's own concurrency.Mutex.
// Every Benchmark has two sub-benchmarks, "brokerlock" and "mutex", that
// run the same scenario against the same embedded etcd in the same run, so
// that benchstat (or cmd/benchtable) can compare them. `make bench` runs
// them; the scenarios with 1,000 and 10,000 locks need -benchtime=1x.
//
// The embedded etcd runs in the benchmark's process: allocs/op, B/op and
// the memory and goroutine metrics include the server's share.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// benchLocker is one handle on a lock, used by one goroutine at a time:
// a brokerlock Item (itemLocker) or a *concurrency.Mutex.
type benchLocker interface {
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// itemLocker adapts a brokerlock Item to benchLocker with Hold/Release.
type itemLocker struct {
	item *brokerlock.Item
	hold *brokerlock.Hold
}

// Lock holds the item.
func (l *itemLocker) Lock(ctx context.Context) error {
	h, err := l.item.Hold(ctx)
	l.hold = h
	return err
}

// Unlock releases the hold taken by Lock.
func (l *itemLocker) Unlock(ctx context.Context) error {
	return l.hold.Release(ctx)
}

// lockerMaker returns one locker per id; locker i uses clients[i%len].
// Lockers with the same id are the same lock.
type lockerMaker func(b *testing.B, prefix string, ids []string, clients []*clientv3.Client) []benchLocker

// runVariants runs scenario as sub-benchmark "brokerlock" (Items with
// opts) and as sub-benchmark "mutex" (concurrency.Mutex).
// With BROKERLOCK_BENCH_MUTEX_FIRST=1 "mutex" runs first: `make bench`
// alternates the order from round to round (A B, B A, ...), so that a
// drift within a run (etcd's history grows) favours neither.
func runVariants(b *testing.B, opts brokerlock.Options, scenario func(*testing.B, lockerMaker)) {
	ours := func(b *testing.B) { scenario(b, itemMaker(opts)) }
	theirs := func(b *testing.B) { scenario(b, makeMutexLockers) }
	if os.Getenv("BROKERLOCK_BENCH_MUTEX_FIRST") == "1" {
		b.Run("mutex", theirs)
		b.Run("brokerlock", ours)
		return
	}
	b.Run("brokerlock", ours)
	b.Run("mutex", theirs)
}

// itemMaker makes brokerlock lockers: one adapter per client, as one
// process per client would have.
func itemMaker(opts brokerlock.Options) lockerMaker {
	return func(b *testing.B, prefix string, ids []string, clients []*clientv3.Client) []benchLocker {
		locks := make([]*brokerlock.BrokerLock, len(clients))
		for i, c := range clients {
			a := etcdadapter.New(c, etcdadapter.WithPrefix(prefix))
			b.Cleanup(func() { _ = a.Close() })
			locks[i] = brokerlock.New(a)
		}
		lockers := make([]benchLocker, len(ids))
		for i, id := range ids {
			lockers[i] = &itemLocker{item: locks[i%len(locks)].Item(id, opts)}
		}
		return lockers
	}
}

// makeMutexLockers makes concurrency.Mutex lockers on prefix+id, the key
// layout brokerlock shares. A Mutex's key is named after its session's
// lease, so Mutexes that wait on the same lock at once need a session
// each; Mutexes on distinct locks share one session per client, which is
// how Mutex is meant to be used.
func makeMutexLockers(b *testing.B, prefix string, ids []string, clients []*clientv3.Client) []benchLocker {
	shared := hasDuplicates(ids)
	var sessions []*concurrency.Session
	if !shared {
		for _, c := range clients {
			sessions = append(sessions, benchSession(b, c))
		}
	}
	lockers := make([]benchLocker, len(ids))
	for i, id := range ids {
		var s *concurrency.Session
		if shared {
			s = benchSession(b, clients[i%len(clients)])
		} else {
			s = sessions[i%len(sessions)]
		}
		lockers[i] = concurrency.NewMutex(s, prefix+id)
	}
	return lockers
}

// benchSession returns a new session on client, closed (its lease
// revoked) when the benchmark ends.
func benchSession(b *testing.B, client *clientv3.Client) *concurrency.Session {
	s, err := concurrency.NewSession(client)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// hasDuplicates reports whether some id occurs twice.
func hasDuplicates(ids []string) bool {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}

// benchClients returns n new clients ("processes"), closed when the
// benchmark ends.
func benchClients(b *testing.B, n int) []*clientv3.Client {
	clients := make([]*clientv3.Client, n)
	for i := range clients {
		clients[i] = target().newClient(b)
	}
	return clients
}

// sameIDs is n times the one lock id "job".
func sameIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "job"
	}
	return ids
}

// distinctIDs is n different lock ids.
func distinctIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("job-%05d", i)
	}
	return ids
}

var benchSeq atomic.Int64

// benchPrefix is a key prefix no other benchmark run in this process uses.
func benchPrefix(b *testing.B) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.Name())
	return fmt.Sprintf("bench/%s-%d/", name, benchSeq.Add(1))
}

// requireNoBenchKeys fails the benchmark if any key is left under prefix.
func requireNoBenchKeys(b *testing.B, prefix string) {
	b.Helper()
	if n := countKeys(b, prefix); n != 0 {
		b.Fatalf("%d keys left under %q, want none", n, prefix)
	}
}

// countKeys counts the keys under prefix.
func countKeys(b *testing.B, prefix string) int64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := target().admin.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		b.Fatalf("count keys under %q: %v", prefix, err)
	}
	return resp.Count
}

// cycle locks l, calls during (may be nil) while holding it, and unlocks.
func cycle(ctx context.Context, l benchLocker, during func()) error {
	if err := l.Lock(ctx); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if during != nil {
		during()
	}
	if err := l.Unlock(ctx); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// cycleAll runs ops lock/unlock cycles in total, shared by one goroutine
// per locker, and returns how long that took. Errors fail b.
func cycleAll(b *testing.B, lockers []benchLocker, ops int, during func()) time.Duration {
	ctx := b.Context()
	var left atomic.Int64
	left.Store(int64(ops))
	var wg sync.WaitGroup
	start := time.Now()
	for _, l := range lockers {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := cycle(ctx, l, during); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkUncontended is a Hold+Release (Lock+Unlock) loop on one lock
// by one goroutine, with the default hard TTL (2m).
func BenchmarkUncontended(b *testing.B) {
	runVariants(b, brokerlock.Options{}, benchOneLoop)
}

// BenchmarkUncontendedKeepAlive is BenchmarkUncontended with KeepAlive.
func BenchmarkUncontendedKeepAlive(b *testing.B) {
	runVariants(b, brokerlock.Options{KeepAlive: true}, benchOneLoop)
}

// benchOneLoop cycles one locker on its own client. One warm-up cycle
// (brokerlock grants its lease there; the Mutex's session has one) runs
// before the timer.
func benchOneLoop(b *testing.B, makeLockers lockerMaker) {
	prefix := benchPrefix(b)
	l := makeLockers(b, prefix, sameIDs(1), benchClients(b, 1))[0]
	ctx := b.Context()
	if err := cycle(ctx, l, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	before := scrapeMetrics(b)
	for b.Loop() {
		if err := cycle(ctx, l, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportRequests(b, before, scrapeMetrics(b), b.N)
	requireNoBenchKeys(b, prefix)
}

// reportRequests reports what etcd served per op between two scrapes:
// unary RPCs, gRPC streams started (Watch, LeaseKeepAlive) and requests
// on watch streams (creates and cancels).
func reportRequests(b *testing.B, before, after promMetrics, ops int) {
	per := func(f func(promMetrics) float64) float64 { return (f(after) - f(before)) / float64(ops) }
	b.ReportMetric(per(promMetrics.unaryRPCs), "rpcs/op")
	b.ReportMetric(per(promMetrics.streams), "streams/op")
	b.ReportMetric(per(promMetrics.watchRequests), "watch-reqs/op")
}

// distinctLocks is the number of goroutines and locks of
// BenchmarkDistinct32.
const distinctLocks = 32

// BenchmarkDistinct32: 32 goroutines of one process (one client), each
// cycling its own lock; b.N cycles in all. Reports ops/s.
func BenchmarkDistinct32(b *testing.B) {
	runVariants(b, brokerlock.Options{}, func(b *testing.B, makeLockers lockerMaker) {
		prefix := benchPrefix(b)
		lockers := makeLockers(b, prefix, distinctIDs(distinctLocks), benchClients(b, 1))
		b.ResetTimer()
		elapsed := cycleAll(b, lockers, b.N, nil)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
		requireNoBenchKeys(b, prefix)
	})
}
