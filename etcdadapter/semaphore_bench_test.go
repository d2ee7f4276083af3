package etcdadapter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// semaphoreLimit is the limit of BenchmarkSemaphoreWaiters1000.
const semaphoreLimit = 10

// BenchmarkSemaphoreWaiters1000: 10 permits held, 1,000 waiters queued
// over 10 clients; each op releases the holders and times until every
// waiter has held a permit once and released it (run with
// -benchtime=1x). Reports the watch events etcd sent per handoff: about 2
// when a release wakes only the first waiter (the holders' delete to it,
// and the admitted waiter's put to the one behind it), about 1,000 with a
// thundering herd; permits/s; and per waiter the heap, goroutines and etcd
// watchers (the embedded server's share included). etcd has no semaphore of its own: there
// is no "mutex" variant.
func BenchmarkSemaphoreWaiters1000(b *testing.B) {
	b.Run("brokerlock", func(b *testing.B) {
		sums := metricSums{}
		for range b.N {
			servePermits(b, sums)
		}
		sums.report(b, b.N)
	})
}

// servePermits runs one op of BenchmarkSemaphoreWaiters1000.
func servePermits(b *testing.B, sums metricSums) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(b.Context(), bigTimeout)
	defer cancel()
	prefix := benchPrefix(b)
	sems := semaphoresOn(b, prefix, benchClients(b, waiterClients+1))
	var held []*brokerlock.Hold
	for range semaphoreLimit {
		h, err := sems[0].Hold(ctx)
		if err != nil {
			b.Fatal(err)
		}
		held = append(held, h)
	}
	idle := takeSnapshot(b)
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Go(func() {
			if err := sems[1+i%waiterClients].Do(ctx, func(context.Context) error { return nil }); err != nil {
				b.Error(err)
			}
		})
	}
	waitKeys(b, prefix, waiters+semaphoreLimit, bigTimeout)
	settle(b, time.Minute)
	snap := takeSnapshot(b)
	queued := snap.metrics
	heap, goroutines, watchers := idle.perItem(snap, waiters)
	sums["B/waiter"] += heap
	sums["goroutines/waiter"] += goroutines
	sums["watchers/waiter"] += watchers
	b.StartTimer()
	start := time.Now()
	for _, h := range held {
		if err := h.Release(ctx); err != nil {
			b.Error(err)
		}
	}
	wg.Wait()
	serve := time.Since(start)
	b.StopTimer()
	served := scrapeMetrics(b)
	sums["events/handoff"] += (served.watchEvents() - queued.watchEvents()) / waiters
	sums["permits/s"] += waiters / serve.Seconds()
	requireNoBenchKeys(b, prefix)
}

// semaphoresOn makes the benchmark's semaphore on each client's adapter.
func semaphoresOn(b *testing.B, prefix string, clients []*clientv3.Client) []*brokerlock.Semaphore {
	sems := make([]*brokerlock.Semaphore, len(clients))
	for i, c := range clients {
		a := etcdadapter.New(c, etcdadapter.WithPrefix(prefix))
		b.Cleanup(func() { _ = a.Close() })
		sems[i] = brokerlock.New(a).Semaphore("job", semaphoreLimit, brokerlock.Options{Timeout: -1})
	}
	return sems
}

// holdWork is how long BenchmarkSemaphore16's goroutines hold: work that
// a semaphore lets run 4 at a time and a lock one at a time.
const holdWork = 2 * time.Millisecond

// BenchmarkSemaphore16: 16 goroutines in 8 clients take turns holding for
// holdWork: sub-benchmark "semaphore" on a semaphore of limit 4, "item"
// on a plain lock. Reports holds/s: what the concurrency buys.
func BenchmarkSemaphore16(b *testing.B) {
	for _, c := range []struct {
		name  string
		limit int
	}{{"semaphore", 4}, {"item", 0}} {
		b.Run(c.name, func(b *testing.B) {
			prefix := benchPrefix(b)
			clients := benchClients(b, 8)
			holds := make([]func(context.Context) (*brokerlock.Hold, error), 16)
			for i := range holds {
				a := etcdadapter.New(clients[i%len(clients)], etcdadapter.WithPrefix(prefix))
				b.Cleanup(func() { _ = a.Close() })
				if c.limit > 0 {
					holds[i] = brokerlock.New(a).Semaphore("job", c.limit, brokerlock.Options{Timeout: -1}).Hold
				} else {
					holds[i] = brokerlock.New(a).Item("job", brokerlock.Options{Timeout: -1}).Hold
				}
			}
			b.ResetTimer()
			elapsed := holdAll(b, holds, b.N)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "holds/s")
			requireNoBenchKeys(b, prefix)
		})
	}
}

// holdAll runs ops holds in total, shared by one goroutine per hold
// function, each holding for holdWork.
func holdAll(b *testing.B, holds []func(context.Context) (*brokerlock.Hold, error), ops int) time.Duration {
	ctx := b.Context()
	var left sync.WaitGroup
	next := make(chan struct{}, ops)
	for range ops {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	for _, hold := range holds {
		left.Go(func() {
			for range next {
				h, err := hold(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				time.Sleep(holdWork)
				if err := h.Release(ctx); err != nil {
					b.Error(err)
				}
			}
		})
	}
	left.Wait()
	return time.Since(start)
}

// BenchmarkRWLockReader: one goroutine's RHold+Release loop on an RWLock
// nobody writes ("reader"), against the Hold+Release loop of a plain lock
// ("item"), both with KeepAlive: a reader reads the keys ahead of it,
// which an uncontended lock need not do.
func BenchmarkRWLockReader(b *testing.B) {
	for _, name := range []string{"reader", "item"} {
		b.Run(name, func(b *testing.B) {
			prefix := benchPrefix(b)
			a := etcdadapter.New(benchClients(b, 1)[0], etcdadapter.WithPrefix(prefix))
			b.Cleanup(func() { _ = a.Close() })
			opts := brokerlock.Options{KeepAlive: true}
			hold := brokerlock.New(a).Item("job", opts).Hold
			if name == "reader" {
				hold = brokerlock.New(a).RWLock("job", opts).RHold
			}
			ctx := b.Context()
			for b.Loop() {
				h, err := hold(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := h.Release(ctx); err != nil {
					b.Fatal(err)
				}
			}
			requireNoBenchKeys(b, prefix)
		})
	}
}
