package etcdadapter_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// contenders is the number of "processes" of BenchmarkContended8.
const contenders = 8

// BenchmarkContended8: 8 processes (each its own client and adapter, or
// session) contend on one lock; b.N holds in all, by any of them. Reports
// handoffs/s and the p50/p99 handoff time: from just before one holder
// releases to when the next holder's acquisition returns, and per handoff
// the raft writes etcd committed, the watch events it sent, and the
// unary RPCs and gRPC streams it started.
// Sub-benchmark "limit" measures the physical limit of such a handoff
// (limit_bench_test.go).
func BenchmarkContended8(b *testing.B) {
	defer b.Run("limit", benchHandoffLimit)
	runVariants(b, brokerlock.Options{}, func(b *testing.B, makeLockers lockerMaker) {
		prefix := benchPrefix(b)
		lockers := makeLockers(b, prefix, sameIDs(contenders), benchClients(b, contenders))
		var clock handoffClock
		before := scrapeMetrics(b)
		b.ResetTimer()
		elapsed := cycleAll(b, lockers, b.N, clock.hold)
		b.StopTimer()
		clock.report(b, elapsed)
		clock.reportServer(b, before, scrapeMetrics(b))
		requireNoBenchKeys(b, prefix)
	})
}

// handoffClock measures handoffs between holders of one lock: its hold
// method runs while the lock is held.
type handoffClock struct {
	mu       sync.Mutex
	released time.Time // just before the last release; zero once taken over
	gaps     []time.Duration
}

// hold records that the lock was just acquired (closing the handoff from
// the previous holder, if any) and that it is about to be released.
func (c *handoffClock) hold() {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.released.IsZero() {
		c.gaps = append(c.gaps, now.Sub(c.released))
	}
	c.released = time.Now()
}

// report reports handoffs/s over elapsed and the p50 and p99 handoff.
func (c *handoffClock) report(b *testing.B, elapsed time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.gaps) == 0 {
		return // b.N == 1: no handoff
	}
	slices.Sort(c.gaps)
	b.ReportMetric(float64(len(c.gaps))/elapsed.Seconds(), "handoffs/s")
	b.ReportMetric(msec(percentile(c.gaps, 0.50)), "p50-handoff-ms")
	b.ReportMetric(msec(percentile(c.gaps, 0.99)), "p99-handoff-ms")
	saveSamples(b, c.gaps)
}

// reportServer reports what etcd did per handoff between two scrapes:
// raft writes committed and watch events sent.
func (c *handoffClock) reportServer(b *testing.B, before, after promMetrics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := float64(len(c.gaps)); n > 0 {
		b.ReportMetric((after.proposals()-before.proposals())/n, "writes/handoff")
		b.ReportMetric((after.watchEvents()-before.watchEvents())/n, "events/handoff")
		b.ReportMetric((after.unaryRPCs()-before.unaryRPCs())/n, "rpcs/handoff")
		b.ReportMetric((after.streams()-before.streams())/n, "streams/handoff")
	}
}

// percentile returns the p-quantile (nearest rank) of sorted ds.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// msec is d in milliseconds.
func msec(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
