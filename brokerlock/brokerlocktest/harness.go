package brokerlocktest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Time bounds of the suite.
const (
	// waitBound is the longest the suite waits for anything that should
	// happen promptly; it is the Timeout of waiters that must get the lock.
	waitBound = 5 * time.Second
	// queueDelay is how long the suite lets a waiter that has entered
	// Adapter.Acquire register in the lock's queue (Config.QueueDelay's
	// default). The API has no event for "queued", so this is the one
	// place where order needs time.
	queueDelay = 100 * time.Millisecond
	// ttlSlack is how late a TTL may end a hold: the backend's own clock
	// and a watch round trip lie between the timer and the next holder.
	ttlSlack = 2 * time.Second
)

// waitOpts are the options of items that may wait: a broken adapter then
// fails a test within waitBound instead of the 30s default Timeout.
var waitOpts = brokerlock.Options{Timeout: waitBound}

// suite holds Run's factory; its methods are the subtests.
type suite struct {
	newAdapter   func(t *testing.T) brokerlock.Adapter
	keepAliveTTL time.Duration // Config.KeepAliveTTL
	queueDelay   time.Duration // Config.QueueDelay
}

// locks returns n BrokerLocks, each on an adapter of its own: n clients.
func (s suite) locks(t *testing.T, n int) []*brokerlock.BrokerLock {
	t.Helper()
	bls := make([]*brokerlock.BrokerLock, n)
	for i := range bls {
		bls[i] = brokerlock.New(s.newAdapter(t))
	}
	return bls
}

// probed returns a BrokerLock on a new adapter wrapped in a probe, and
// the probe.
func (s suite) probed(t *testing.T) (*brokerlock.BrokerLock, *probe) {
	t.Helper()
	p := &probe{Adapter: s.newAdapter(t), entered: make(chan struct{}, 64), queueDelay: s.queueDelay}
	return brokerlock.New(p), p
}

// probe is an Adapter that reports every Acquire call as it begins, so
// that a test can wait until a waiter is inside Acquire.
type probe struct {
	brokerlock.Adapter
	entered    chan struct{}
	queueDelay time.Duration // Config.QueueDelay
}

// Unwrap returns the adapter the probe wraps.
func (p *probe) Unwrap() brokerlock.Adapter { return p.Adapter }

// Acquire signals entered, then delegates. Signals beyond the buffer are
// dropped; tests that wait for them make a few calls only.
func (p *probe) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	select {
	case p.entered <- struct{}{}:
	default:
	}
	return p.Adapter.Acquire(ctx, id, req)
}

// waitQueued waits until a call has entered Acquire, then gives it
// p.queueDelay to register in the queue.
func (p *probe) waitQueued(t *testing.T) {
	t.Helper()
	select {
	case <-p.entered:
	case <-time.After(waitBound):
		t.Fatalf("no call entered Adapter.Acquire within %v", waitBound)
	}
	time.Sleep(p.queueDelay)
}

// uniqueID returns a lock id that no other test uses.
func uniqueID(t *testing.T) string {
	return t.Name() + "-" + rand.Text()[:12]
}

// testContext returns a context that ends with the test, and at the
// latest after a minute so that a hang fails instead of blocking.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustHold takes the lock with it.Hold and releases it when the test
// ends (a no-op if the test released it). Test goroutine only.
func mustHold(t *testing.T, ctx context.Context, it *brokerlock.Item) *brokerlock.Hold {
	t.Helper()
	return mustHoldFrom(t, ctx, fmt.Sprintf("Hold(%q)", it.ID()), it.Hold)
}

// itemCall is one Item method, reduced to its error.
type itemCall struct {
	name string
	call func(ctx context.Context, it *brokerlock.Item) error
}

// wantFalse reports a true b.
func wantFalse(t *testing.T, what string, b bool) {
	t.Helper()
	if b {
		t.Errorf("%s: got true, want false", what)
	}
}

// wantErrIs reports an error unless err wraps every target. It is safe
// in any goroutine.
func wantErrIs(t *testing.T, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: got error %v, want one wrapping %q", what, err, target)
		}
	}
}

// wantNoErr reports a non-nil err. It is safe in any goroutine.
func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: got error %v, want nil", what, err)
	}
}

// wantReserved checks what IsReserved says through each item.
func wantReserved(t *testing.T, ctx context.Context, when string, want bool, items ...*brokerlock.Item) {
	t.Helper()
	for i, it := range items {
		got, err := it.IsReserved(ctx)
		if err != nil || got != want {
			t.Errorf("%s: IsReserved via item %d: got (%v, %v), want (%v, nil)", when, i, got, err, want)
		}
	}
}

// wantTryHold checks that it.TryHold gets the lock at once, and releases it.
func wantTryHold(t *testing.T, ctx context.Context, when string, it *brokerlock.Item) {
	t.Helper()
	h, err := it.TryHold(ctx)
	if err != nil {
		t.Errorf("%s: TryHold: got error %v, want the lock", when, err)
		return
	}
	wantNoErr(t, when+": Release", h.Release(ctx))
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitClosed waits at most d for ch to close and reports whether it did.
func waitClosed(ch <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}

// receive waits at most waitBound for a value from ch.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitBound):
		t.Fatalf("%s: nothing within %v", what, waitBound)
		var zero T
		return zero
	}
}

// since formats the time from start to now for messages.
func since(start time.Time) string {
	return fmt.Sprint(time.Since(start).Round(time.Millisecond))
}
