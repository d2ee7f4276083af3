package brokerlocktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// holdKind is a Semaphore permit, an RWLock reader or writer: how to take
// one, and how to take something it keeps out.
type holdKind struct {
	name    string
	hold    func(bl *brokerlock.BrokerLock, id string, opts brokerlock.Options) func(context.Context) (*brokerlock.Hold, error)
	blocked func(bl *brokerlock.BrokerLock, id string, opts brokerlock.Options) func(context.Context) (*brokerlock.Hold, error)
}

var holdKinds = []holdKind{
	{"permit",
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.Semaphore(id, 1, o).Hold
		},
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.Semaphore(id, 1, o).Hold
		}},
	{"reader",
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.RWLock(id, o).RHold
		},
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.RWLock(id, o).Hold
		}},
	{"writer",
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.RWLock(id, o).Hold
		},
		func(bl *brokerlock.BrokerLock, id string, o brokerlock.Options) func(context.Context) (*brokerlock.Hold, error) {
			return bl.RWLock(id, o).RHold
		}},
}

// holdKindsLifecycle: a Semaphore permit and an RWLock reader and writer
// keep a lock's promises: the hard TTL ends the hold (Done, ErrLockLost)
// before what it kept out gets in, Release of a lost hold says so, and
// Close ends a hold with ErrLockLost and ErrClosed and lets others in.
func (s suite) holdKindsLifecycle(t *testing.T) {
	for _, k := range holdKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			s.holdKindTTL(t, k)
			s.holdKindClose(t, k)
		})
	}
}

func (s suite) holdKindTTL(t *testing.T, k holdKind) {
	const ttl = time.Second
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	h := mustHoldFrom(t, ctx, k.name, k.hold(bls[0], id, brokerlock.Options{TTL: ttl, Timeout: waitBound}))
	if h.Err() != nil || isClosed(h.Done()) {
		t.Errorf("live %s: got Err %v, Done closed %v; want nil, open", k.name, h.Err(), isClosed(h.Done()))
	}
	got := make(chan bool, 1) // whether h's Done was closed when the other got in
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		o := holdOrNil(t, ctx, "what the "+k.name+" kept out", k.blocked(bls[1], id, waitOpts))
		got <- isClosed(h.Done())
		if o != nil {
			wantNoErr(t, "its Release", o.Release(ctx))
		}
	})
	if !waitClosed(h.Done(), ttl+ttlSlack) {
		t.Errorf("%s with hard TTL %v: Done still open after %v", k.name, ttl, ttl+ttlSlack)
		_ = h.Release(ctx) // let the other in, so that it ends
		return
	}
	wantErrIs(t, k.name+"'s Err after its TTL", h.Err(), brokerlock.ErrLockLost)
	if !receive(t, "what the "+k.name+" kept out", got) {
		t.Errorf("what the %s kept out got in while the %s's Done was open", k.name, k.name)
	}
	wantErrIs(t, "Release of the lost "+k.name, h.Release(ctx), brokerlock.ErrLockLost)
}

func (s suite) holdKindClose(t *testing.T, k holdKind) {
	ctx := testContext(t)
	id := uniqueID(t)
	bl, p := s.probed(t)
	h := mustHoldFrom(t, ctx, k.name, k.hold(bl, id, waitOpts))
	wantNoErr(t, "Close", p.Adapter.Close())
	if !isClosed(h.Done()) {
		t.Errorf("Done of a %s after Close returned: open, want closed", k.name)
	}
	wantErrIs(t, "Err of a "+k.name+" after Close", h.Err(), brokerlock.ErrLockLost, brokerlock.ErrClosed)
	other := mustHoldFrom(t, ctx, "what the closed "+k.name+" kept out", k.blocked(s.locks(t, 1)[0], id, waitOpts))
	wantNoErr(t, "its Release", other.Release(ctx))
}
