package etcdadapter_test

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Benchmarks of brokerlock's Election against etcd's concurrency.Election
// on the same server: sub-benchmarks "brokerlock" and "election" (which
// cmd/benchtable puts in etcd's column).

// candidate is one candidate's handle: it campaigns, then resigns.
type candidate interface {
	Campaign(ctx context.Context, value string) error
	Resign(ctx context.Context) error
}

// ourCandidate is a brokerlock Election with its current term.
type ourCandidate struct {
	e    *brokerlock.Election
	term *brokerlock.Term
}

func (c *ourCandidate) Campaign(ctx context.Context, value string) (err error) {
	c.term, err = c.e.Campaign(ctx, value)
	return err
}

func (c *ourCandidate) Resign(ctx context.Context) error { return c.term.Resign(ctx) }

// candidateMaker makes n candidates of election "leader" under prefix;
// candidate i uses clients[i%len].
type candidateMaker func(b *testing.B, prefix string, n int, clients []*clientv3.Client) []candidate

// runElectionVariants runs scenario with our Election and etcd's, in the
// order BROKERLOCK_BENCH_MUTEX_FIRST says (see runVariants).
func runElectionVariants(b *testing.B, scenario func(*testing.B, candidateMaker)) {
	ours := func(b *testing.B) { scenario(b, makeOurCandidates) }
	theirs := func(b *testing.B) { scenario(b, makeEtcdCandidates) }
	if os.Getenv("BROKERLOCK_BENCH_MUTEX_FIRST") == "1" {
		b.Run("election", theirs)
		b.Run("brokerlock", ours)
		return
	}
	b.Run("brokerlock", ours)
	b.Run("election", theirs)
}

// makeOurCandidates: one adapter per client, as one process per client.
func makeOurCandidates(b *testing.B, prefix string, n int, clients []*clientv3.Client) []candidate {
	locks := make([]*brokerlock.BrokerLock, len(clients))
	for i, c := range clients {
		a := etcdadapter.New(c, etcdadapter.WithPrefix(prefix))
		b.Cleanup(func() { _ = a.Close() })
		locks[i] = brokerlock.New(a)
	}
	cs := make([]candidate, n)
	for i := range cs {
		cs[i] = &ourCandidate{e: locks[i%len(locks)].Election("leader", brokerlock.ElectionOptions{})}
	}
	return cs
}

// makeEtcdCandidates: etcd's Election needs a session per candidate (its
// key is named after the session's lease).
func makeEtcdCandidates(b *testing.B, prefix string, n int, clients []*clientv3.Client) []candidate {
	cs := make([]candidate, n)
	for i := range cs {
		cs[i] = concurrency.NewElection(benchSession(b, clients[i%len(clients)]), prefix+"leader")
	}
	return cs
}

// BenchmarkElectionFailover: two processes take turns leading; each op is
// one handoff, timed from the leader's Resign returning to the next
// candidate's Campaign returning (0 when the Campaign returned first).
// Run with -benchtime=Nx, N ≥ 50. Reports the p50 and p99 in ms.
func BenchmarkElectionFailover(b *testing.B) {
	runElectionVariants(b, func(b *testing.B, makeCandidates candidateMaker) {
		prefix := benchPrefix(b)
		cs := makeCandidates(b, prefix, 2, benchClients(b, 2))
		ctx := b.Context()
		if err := cs[0].Campaign(ctx, "0"); err != nil {
			b.Fatal(err)
		}
		var failovers []time.Duration
		for i := 0; b.Loop(); i++ {
			failovers = append(failovers, handoff(b, prefix, cs[i%2], cs[(i+1)%2]))
		}
		if err := cs[b.N%2].Resign(ctx); err != nil {
			b.Fatal(err)
		}
		reportPercentiles(b, failovers)
		requireNoBenchKeys(b, prefix)
	})
}

// handoff has next campaign behind leader, waits until its key is
// queued, then times leader's Resign to next's election.
func handoff(b *testing.B, prefix string, leader, next candidate) time.Duration {
	ctx := b.Context()
	elected := make(chan time.Time, 1)
	go func() {
		if err := next.Campaign(ctx, "next"); err != nil {
			b.Error(err)
		}
		elected <- time.Now()
	}()
	waitKeys(b, prefix, 2, 10*time.Second)
	if err := leader.Resign(ctx); err != nil {
		b.Fatal(err)
	}
	resigned := time.Now()
	return max(0, (<-elected).Sub(resigned))
}

// reportPercentiles reports the p50 and p99 of ds in ms.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 { return msec(ds[min(len(ds)-1, int(p*float64(len(ds))))]) }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// herdCandidates campaign in BenchmarkElectionHerd, over herdClients
// clients.
const (
	herdCandidates = 100
	herdClients    = 10
)

// BenchmarkElectionHerd: 100 candidates queue behind a leader; each op
// lets every one of them lead once, in turn (each resigns at once). It
// reports the watch events etcd sent per handoff: 1 when a resignation
// wakes only the next candidate, about 100 with a thundering herd.
// Run with -benchtime=1x.
func BenchmarkElectionHerd(b *testing.B) {
	runElectionVariants(b, func(b *testing.B, makeCandidates candidateMaker) {
		sums := metricSums{}
		for range b.N {
			serveCandidates(b, makeCandidates, sums)
		}
		sums.report(b, b.N)
	})
}

// serveCandidates runs one op of BenchmarkElectionHerd.
func serveCandidates(b *testing.B, makeCandidates candidateMaker, sums metricSums) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(b.Context(), bigTimeout)
	defer cancel()
	prefix := benchPrefix(b)
	cs := makeCandidates(b, prefix, herdCandidates+1, benchClients(b, herdClients))
	if err := cs[0].Campaign(ctx, "leader"); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, c := range cs[1:] {
		wg.Go(func() {
			if err := c.Campaign(ctx, "candidate"); err != nil {
				b.Error(err)
				return
			}
			if err := c.Resign(ctx); err != nil {
				b.Error(err)
			}
		})
	}
	waitKeys(b, prefix, herdCandidates+1, bigTimeout)
	settle(b, time.Minute)
	queued := scrapeMetrics(b)
	b.StartTimer()
	start := time.Now()
	if err := cs[0].Resign(ctx); err != nil {
		b.Error(err)
	}
	wg.Wait()
	serve := time.Since(start)
	b.StopTimer()
	served := scrapeMetrics(b)
	sums["events/handoff"] += (served.watchEvents() - queued.watchEvents()) / herdCandidates
	sums["handoffs/s"] += herdCandidates / serve.Seconds()
	requireNoBenchKeys(b, prefix)
}
