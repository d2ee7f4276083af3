package brokerlocktest

import (
	"context"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// statefulAPI: the Deepkit-style Acquire, Try and Release keep one hold
// per Item, refuse a second with ErrAlreadyAcquired, and after a loss
// report it once and let the Item acquire again.
func (s suite) statefulAPI(t *testing.T) {
	for _, p := range []property{
		{"AcquireTwice", s.acquireTwice},
		{"AcquireInFlight", s.acquireInFlight},
		{"ReleaseAfterLoss", s.releaseAfterLoss},
		{"AcquireAfterLoss", s.acquireAfterLoss},
		{"ReleaseCurrent", s.releaseCurrent},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			p.test(t)
		})
	}
}

// lossTTL is the TTL of tests that wait for a hold to be lost.
const lossTTL = time.Second

// acquireTwice: a holding Item refuses Acquire and Try; Release when not
// held returns nil.
func (s suite) acquireTwice(t *testing.T) {
	ctx := testContext(t)
	it := s.locks(t, 1)[0].Item(uniqueID(t), waitOpts)
	wantNoErr(t, "Release before Acquire", it.Release(ctx))
	if err := it.Acquire(ctx); err != nil {
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	wantErrIs(t, "second Acquire", it.Acquire(ctx), brokerlock.ErrAlreadyAcquired)
	ok, err := it.Try(ctx)
	wantErrIs(t, "Try while acquired", err, brokerlock.ErrAlreadyAcquired)
	if ok || !it.Acquired() {
		t.Errorf("after the refused calls: got Try %v, Acquired %v; want false, true", ok, it.Acquired())
	}
	wantNoErr(t, "Release", it.Release(ctx))
	if it.Acquired() {
		t.Errorf("Acquired after Release: got true, want false")
	}
	wantNoErr(t, "second Release", it.Release(ctx))
}

// releaseCurrent: releasing the hold Current returns is Item.Release: the
// Item holds nothing after it, its Release returns nil, and it can
// Acquire again.
func (s suite) releaseCurrent(t *testing.T) {
	ctx := testContext(t)
	it := s.locks(t, 1)[0].Item(uniqueID(t), waitOpts)
	if err := it.Acquire(ctx); err != nil {
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	wantNoErr(t, "Current().Release", it.Current().Release(ctx))
	if it.Acquired() || it.Current() != nil {
		t.Errorf("after Current().Release: got Acquired %v, Current %v; want false, nil", it.Acquired(), it.Current())
	}
	wantNoErr(t, "Item.Release after Current().Release", it.Release(ctx))
	wantNoErr(t, "Acquire after Current().Release", it.Acquire(ctx))
	wantNoErr(t, "Release", it.Release(ctx))
}

// acquireInFlight: while one Acquire waits, Acquire and Try on the same
// Item fail with ErrAlreadyAcquired; the waiting one then gets the lock.
func (s suite) acquireInFlight(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	holder := mustHold(t, ctx, s.locks(t, 1)[0].Item(id, waitOpts))
	bl, p := s.probed(t)
	it := bl.Item(id, waitOpts)
	first := make(chan error, 1)
	go func() { first <- it.Acquire(ctx) }()
	p.waitQueued(t)
	wantErrIs(t, "Acquire while another Acquire waits", it.Acquire(ctx), brokerlock.ErrAlreadyAcquired)
	_, err := it.Try(ctx)
	wantErrIs(t, "Try while an Acquire waits", err, brokerlock.ErrAlreadyAcquired)
	wantNoErr(t, "holder's Release", holder.Release(ctx))
	wantNoErr(t, "the waiting Acquire", receive(t, "the waiting Acquire", first))
	if !it.Acquired() {
		t.Errorf("Acquired after the waiting Acquire returned: got false, want true")
	}
	wantNoErr(t, "Release", it.Release(ctx))
}

// releaseAfterLoss: once the TTL ends the hold, Acquired is false,
// Release reports ErrLockLost once, and Acquire works again.
func (s suite) releaseAfterLoss(t *testing.T) {
	ctx := testContext(t)
	it := s.locks(t, 1)[0].Item(uniqueID(t), brokerlock.Options{TTL: lossTTL, Timeout: waitBound})
	awaitStatefulLoss(t, ctx, it)
	wantErrIs(t, "Release after the loss", it.Release(ctx), brokerlock.ErrLockLost)
	wantNoErr(t, "second Release after the loss", it.Release(ctx))
	wantNoErr(t, "Acquire after the loss", it.Acquire(ctx))
	if !it.Acquired() {
		t.Errorf("Acquired after Acquire: got false, want true")
	}
	wantNoErr(t, "Release", it.Release(ctx))
}

// acquireAfterLoss: a lost hold does not count as acquired: Acquire
// works without a Release in between, and Release then releases the new
// hold.
func (s suite) acquireAfterLoss(t *testing.T) {
	ctx := testContext(t)
	it := s.locks(t, 1)[0].Item(uniqueID(t), brokerlock.Options{TTL: lossTTL, Timeout: waitBound})
	awaitStatefulLoss(t, ctx, it)
	wantNoErr(t, "Acquire after the loss", it.Acquire(ctx))
	if !it.Acquired() {
		t.Errorf("Acquired after Acquire: got false, want true")
	}
	wantNoErr(t, "Release of the new hold", it.Release(ctx))
	wantReserved(t, ctx, "after Release", false, it)
}

// awaitStatefulLoss acquires with it and waits for the TTL to end the hold.
func awaitStatefulLoss(t *testing.T, ctx context.Context, it *brokerlock.Item) {
	t.Helper()
	if err := it.Acquire(ctx); err != nil {
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	h := it.Current()
	if h == nil {
		t.Fatalf("Current after Acquire: got nil, want the hold")
	}
	if !waitClosed(h.Done(), it.Options().TTL+ttlSlack) {
		t.Fatalf("hold still alive %v after Acquire; want lost after the TTL %v", it.Options().TTL+ttlSlack, it.Options().TTL)
	}
	wantErrIs(t, "Err after the TTL", h.Err(), brokerlock.ErrLockLost)
	if it.Acquired() || it.Current() != nil {
		t.Errorf("after the loss: got Acquired %v, Current %v; want false, nil", it.Acquired(), it.Current())
	}
}
