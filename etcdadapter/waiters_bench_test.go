package etcdadapter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const (
	// waiters wait on one lock in BenchmarkWaiters1000, spread over
	// waiterClients clients (processes).
	waiters       = 1000
	waiterClients = 10
	// bigTimeout bounds the 1,000- and 10,000-lock scenarios.
	bigTimeout = 3 * time.Minute
)

// metricSums adds up metrics over a benchmark's iterations; report
// reports their means.
type metricSums map[string]float64

// report reports every sum divided by n.
func (s metricSums) report(b *testing.B, n int) {
	for unit, v := range s {
		b.ReportMetric(v/float64(n), unit)
	}
}

// BenchmarkWaiters1000: one holder, then 1,000 waiters on the same lock
// over 10 clients; each op releases the holder and times until every
// waiter has held and released the lock once (run with -benchtime=1x).
// Reports per handoff the unary RPCs, watch stream requests and watch
// events etcd served (from its /metrics), and per waiter the heap, the
// goroutines and the etcd watchers it costs while waiting (the embedded
// server's share included). A Mutex waiter needs a session (a lease) of
// its own: Mutex keys are named after the lease, so two Mutexes of one
// session on one lock would be the same key; the sessions are counted.
func BenchmarkWaiters1000(b *testing.B) { benchWaiters(b, waiterClients) }

// BenchmarkWaiters1000Over50 is BenchmarkWaiters1000 with the waiters
// spread over 50 clients (processes) instead of 10: what grows with the
// number of processes on one lock.
func BenchmarkWaiters1000Over50(b *testing.B) { benchWaiters(b, 50) }

func benchWaiters(b *testing.B, clients int) {
	runVariants(b, brokerlock.Options{Timeout: -1}, func(b *testing.B, makeLockers lockerMaker) {
		sums := metricSums{}
		for range b.N {
			serveWaiters(b, makeLockers, clients, sums)
		}
		sums.report(b, b.N)
	})
}

// serveWaiters runs one op of BenchmarkWaiters1000 with the waiters over
// n clients and adds its metrics to sums; only the serving is timed.
func serveWaiters(b *testing.B, makeLockers lockerMaker, n int, sums metricSums) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(b.Context(), bigTimeout)
	defer cancel()
	prefix := benchPrefix(b)
	clients := benchClients(b, n+1)
	holder := makeLockers(b, prefix, sameIDs(1), clients[:1])[0]
	if err := holder.Lock(ctx); err != nil {
		b.Fatal(err)
	}
	idle := takeSnapshot(b)
	lockers := makeLockers(b, prefix, sameIDs(waiters), clients[1:])
	start := time.Now()
	wg := startWaiters(ctx, b, lockers)
	waitKeys(b, prefix, waiters+1, bigTimeout)
	sums["queue-ms"] += msec(time.Since(start))
	settle(b, time.Minute)
	queued := takeSnapshot(b)

	b.StartTimer()
	start = time.Now()
	if err := holder.Unlock(ctx); err != nil {
		b.Error(err)
	}
	wg.Wait()
	serve := time.Since(start)
	b.StopTimer()

	addWaiterMetrics(sums, idle, queued, scrapeMetrics(b), serve)
	requireNoBenchKeys(b, prefix)
}

// startWaiters starts one goroutine per locker that holds it once.
func startWaiters(ctx context.Context, b *testing.B, lockers []benchLocker) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, l := range lockers {
		wg.Go(func() {
			if err := cycle(ctx, l, nil); err != nil {
				b.Error(err)
			}
		})
	}
	return &wg
}

// addWaiterMetrics adds the costs of waiting (idle to queued) per waiter
// and the costs of serving (queued to served) per handoff.
func addWaiterMetrics(sums metricSums, idle, queued snapshot, served promMetrics, serve time.Duration) {
	heap, goroutines, watchers := idle.perItem(queued, waiters)
	sums["B/waiter"] += heap
	sums["goroutines/waiter"] += goroutines
	sums["watchers/waiter"] += watchers
	q := queued.metrics
	sums["rpcs/handoff"] += (served.unaryRPCs() - q.unaryRPCs()) / waiters
	sums["watch-reqs/handoff"] += (served.watchRequests() - q.watchRequests()) / waiters
	sums["events/handoff"] += (served.watchEvents() - q.watchEvents()) / waiters
	sums["handoffs/s"] += waiters / serve.Seconds()
}
