package etcdadapter_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const (
	// heldLocks distinct locks are held at once by one process in
	// BenchmarkHeld10000, acquired and released by heldWorkers goroutines.
	heldLocks   = 10000
	heldWorkers = 32
)

// BenchmarkHeld10000: one process (one client) acquires 10,000 distinct
// locks with KeepAlive and holds them all; each op times acquiring them
// all (run with -benchtime=1x). Reports, while all are held, the leases
// in use (asked of etcd) and per lock the heap, goroutines and etcd
// watchers, then the time to release them all, and fails if a key is
// left. The Mutex variant is the Mutex way: 10,000 Mutexes on one session.
func BenchmarkHeld10000(b *testing.B) {
	runVariants(b, brokerlock.Options{KeepAlive: true}, func(b *testing.B, makeLockers lockerMaker) {
		sums := metricSums{}
		for range b.N {
			holdMany(b, heldLocks, makeLockers, sums)
		}
		sums.report(b, b.N)
	})
}

// holdMany holds n locks at once, one op of BenchmarkHeld10000, and adds
// its metrics to sums; only the acquisitions are timed.
func holdMany(b *testing.B, n int, makeLockers lockerMaker, sums metricSums) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(b.Context(), bigTimeout)
	defer cancel()
	prefix := benchPrefix(b)
	clients := benchClients(b, 1)
	leases0 := countLeases(ctx, b)
	idle := takeSnapshot(b)
	lockers := makeLockers(b, prefix, distinctIDs(n), clients)

	b.StartTimer()
	forEach(ctx, b, lockers, benchLocker.Lock)
	b.StopTimer()

	settle(b, time.Minute)
	held := takeSnapshot(b)
	sums["leases"] += float64(countLeases(ctx, b) - leases0)
	if got := countKeys(b, prefix); got != int64(n) {
		b.Errorf("%d keys under %q while all are held, want %d", got, prefix, n)
	}
	start := time.Now()
	forEach(ctx, b, lockers, benchLocker.Unlock)
	sums["release-ms"] += msec(time.Since(start))
	addHeldMetrics(sums, n, idle, held)
	requireNoBenchKeys(b, prefix)
}

// forEach calls f on every locker, from heldWorkers goroutines.
func forEach(ctx context.Context, b *testing.B, lockers []benchLocker, f func(benchLocker, context.Context) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range heldWorkers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(lockers)); i = next.Add(1) - 1 {
				if err := f(lockers[i], ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// countLeases asks etcd how many leases exist.
func countLeases(ctx context.Context, b *testing.B) int {
	resp, err := target().admin.Leases(ctx)
	if err != nil {
		b.Fatalf("list leases: %v", err)
	}
	return len(resp.Leases)
}

// addHeldMetrics adds what holding n costs per lock, from idle to held.
func addHeldMetrics(sums metricSums, n int, idle, held snapshot) {
	heap, goroutines, watchers := idle.perItem(held, n)
	sums["B/lock"] += heap
	sums["goroutines/lock"] += goroutines
	sums["watchers/lock"] += watchers
	if apart != nil {
		sums["server-B/lock"] += (held.serverHeap - idle.serverHeap) / float64(n)
	}
}
