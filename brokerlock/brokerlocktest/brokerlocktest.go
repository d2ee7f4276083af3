// Package brokerlocktest is the conformance suite for brokerlock.Adapter
// implementations: one test per promise of the Adapter and Acquisition
// interfaces, run through BrokerLock's public API, in the manner of
// testing/fstest and go-cloud's drivertest.
//
// An adapter package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
//			a := newAdapterOnSharedBackend(t)
//			t.Cleanup(func() { a.Close() })
//			return a
//		})
//	}
package brokerlocktest

import (
	"cmp"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Run checks that the adapters newAdapter makes keep the promises of
// brokerlock.Adapter and brokerlock.Acquisition, each in a subtest of its
// own named after the property.
//
// newAdapter is called one or more times per subtest; each call stands
// for one more client or process, so all adapters made during one Run
// must share their locks (etcd: a new client and adapter on the same
// cluster; memadapter: a new handle on one table). newAdapter registers
// the adapter's Close with t.Cleanup; the suite closes some adapters
// itself too, so Close must be idempotent. Lock ids are unique per
// subtest, so the backend may be shared with other tests.
//
// The subtests run in parallel, except the FIFO ones (FIFO,
// ElectionFIFO, SemaphoreFIFO, RWLockWriterNotStarved), which run first
// on their own because their waiters need time to register in order. ElectionRun needs an adapter with ForceRelease(ctx, id) (found
// through Unwrap too) to end a term from outside; without one it is
// skipped, saying so. The whole suite
// takes a few seconds: the TTL tests use TTLs of one to two seconds.
func Run(t *testing.T, newAdapter func(t *testing.T) brokerlock.Adapter) {
	t.Helper()
	RunWith(t, newAdapter, Config{})
}

// Config fits the suite to a backend's limits; the zero Config is Run's.
type Config struct {
	// KeepAliveTTL is the TTL of the KeepAliveOutlivesTTL subtest's hold
	// (default 1s), which must live three TTLs on renewals alone. A
	// backend that answers renewals late needs more: etcd's gRPC proxy
	// answers one when its own client next renews the lease, up to a
	// third of the TTL plus 500ms later.
	KeepAliveTTL time.Duration
	// QueueDelay is how long a waiter that has entered Adapter.Acquire is
	// given to register in the lock's queue before the suite counts on its
	// place (default 100ms). The API has no event for "queued"; a backend
	// behind more hops (etcd's gRPC proxy) needs longer on a busy machine.
	QueueDelay time.Duration
}

// RunWith is Run with cfg.
func RunWith(t *testing.T, newAdapter func(t *testing.T) brokerlock.Adapter, cfg Config) {
	t.Helper()
	s := suite{newAdapter: newAdapter, keepAliveTTL: cmp.Or(cfg.KeepAliveTTL, time.Second),
		queueDelay: cmp.Or(cfg.QueueDelay, queueDelay)}
	t.Run("FIFO", s.fifo)
	t.Run("ElectionFIFO", s.electionFIFO)
	t.Run("SemaphoreFIFO", s.semaphoreFIFO)
	t.Run("RWLockWriterNotStarved", s.rwWriterNotStarved)
	for _, p := range s.parallelProperties() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			p.test(t)
		})
	}
}

// property is one subtest of Run.
type property struct {
	name string
	test func(t *testing.T)
}

func (s suite) parallelProperties() []property {
	return []property{
		{"MutualExclusion", s.mutualExclusion},
		{"TryHold", s.tryHold},
		{"IsReserved", s.isReserved},
		{"DeepkitTwoItemsOneID", s.deepkitTwoItemsOneID},
		{"DeepkitTwoIDs", s.deepkitTwoIDs},
		{"StatefulAPI", s.statefulAPI},
		{"TimeoutLeavesNothing", s.timeoutLeavesNothing},
		{"CancelLeavesNothing", s.cancelLeavesNothing},
		{"HardTTL", s.hardTTL},
		{"KeepAliveOutlivesTTL", s.keepAliveOutlivesTTL},
		{"Refresh", s.refresh},
		{"Do", s.do},
		{"Tokens", s.tokens},
		{"HoldLifecycle", s.holdLifecycle},
		{"InvalidInput", s.invalidInput},
		{"UnusualIDs", s.unusualIDs},
		{"Close", s.close},
		{"Inspect", s.inspect},
		{"SemaphoreLimit", s.semaphoreLimit},
		{"SemaphoreLimitMismatch", s.semaphoreLimitMismatch},
		{"SemaphoreExclusion", s.semaphoreExclusion},
		{"SemaphoreInvalid", s.semaphoreInvalid},
		{"SemaphoreCancel", s.semaphoreCancel},
		{"RWLockReadersShare", s.rwReadersShare},
		{"RWLockWriterExcludes", s.rwWriterExcludes},
		{"RWLockExclusion", s.rwExclusion},
		{"HoldKindsLifecycle", s.holdKindsLifecycle},
		{"ErrorTexts", s.errorTexts},
		{"ElectionExclusion", s.electionExclusion},
		{"ElectionLeader", s.electionLeader},
		{"ElectionObserve", s.electionObserve},
		{"ElectionCampaignCancel", s.electionCampaignCancel},
		{"ElectionInspect", s.electionInspect},
		{"ElectionRun", s.electionRun},
		{"ElectionRunCancel", s.electionRunCancel},
		{"ElectionInvalid", s.electionInvalid},
		{"ElectionClose", s.electionClose},
	}
}
