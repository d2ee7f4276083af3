package brokerlocktest

import (
	"context"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// successor is what the next holder saw when it got the lock.
type successor struct {
	hold    *brokerlock.Hold
	err     error
	at      time.Time
	oldDone bool // whether the old hold's Done was closed by then
}

// hardTTL: without KeepAlive a hold ends TTL after it was acquired, not
// earlier, and its holder is told (Done closed, Err wrapping ErrLockLost)
// before a waiter on another client gets the lock; Expires said when.
func (s suite) hardTTL(t *testing.T) {
	const ttl = time.Second
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	before := time.Now()
	h := mustHold(t, ctx, bls[0].Item(id, brokerlock.Options{TTL: ttl, Timeout: waitBound}))
	after := time.Now()
	expires := h.Expires()
	wantBetween(t, "Expires", expires, before.Add(ttl), after.Add(ttl))
	next := make(chan successor, 1)
	go awaitSuccessor(ctx, bls[1].Item(id, waitOpts), h, next)
	wantAliveUntil(t, h, before.Add(ttl*9/10))
	if !waitClosed(h.Done(), time.Until(after.Add(ttl+ttlSlack))) {
		t.Fatalf("Done still open %v after acquisition; want closed after the TTL %v", since(before), ttl)
	}
	wantErrIs(t, "Err after the TTL", h.Err(), brokerlock.ErrLockLost)
	checkSuccessor(t, receive(t, "the waiter's Hold", next), h, expires)
	wantErrIs(t, "Release after the TTL", h.Release(ctx), brokerlock.ErrLockLost)
}

// awaitSuccessor takes the lock with it and reports, at that moment,
// whether old's Done is closed already.
func awaitSuccessor(ctx context.Context, it *brokerlock.Item, old *brokerlock.Hold, next chan<- successor) {
	h, err := it.Hold(ctx)
	next <- successor{hold: h, err: err, at: time.Now(), oldDone: isClosed(old.Done())}
}

// checkSuccessor wants the next holder to come after old was told of
// its loss, not before old's Expires, and with a greater token.
func checkSuccessor(t *testing.T, s successor, old *brokerlock.Hold, oldExpires time.Time) {
	t.Helper()
	if s.err != nil {
		t.Fatalf("the waiter's Hold: got error %v, want the lock once the TTL ended the first hold", s.err)
	}
	defer func() { wantNoErr(t, "the waiter's Release", s.hold.Release(context.Background())) }()
	if !s.oldDone {
		t.Errorf("when the waiter got the lock, the old hold's Done was still open; want the old holder told first")
	}
	if s.at.Before(oldExpires) {
		t.Errorf("the waiter got the lock at %v, before the old hold's Expires %v", s.at, oldExpires)
	}
	if s.hold.Token() <= old.Token() {
		t.Errorf("token after the TTL: got %d after %d, want strictly increasing", s.hold.Token(), old.Token())
	}
}

// keepAliveOutlivesTTL: with KeepAlive a hold lasts well past its TTL,
// Expires moves forward, and Release returns nil.
func (s suite) keepAliveOutlivesTTL(t *testing.T) {
	ttl := s.keepAliveTTL
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	h := mustHold(t, ctx, bls[0].Item(id, brokerlock.Options{TTL: ttl, KeepAlive: true, Timeout: waitBound}))
	first := h.Expires()
	wantAliveUntil(t, h, time.Now().Add(3*ttl))
	if now, later := time.Now(), h.Expires(); !later.After(first) || !later.After(now) {
		t.Errorf("Expires after %v: got %v (was %v, now is %v), want later than both", 3*ttl, later, first, now)
	}
	other := bls[1].Item(id, waitOpts)
	wantReserved(t, ctx, "after 3 TTLs with KeepAlive", true, other)
	_, err := other.TryHold(ctx)
	wantErrIs(t, "TryHold from another client after 3 TTLs with KeepAlive", err, brokerlock.ErrLocked)
	wantNoErr(t, "Release", h.Release(ctx))
	wantErrIs(t, "Err after Release", h.Err(), brokerlock.ErrReleased)
}

// refresh: Refresh restarts the TTL from now, so the hold outlives its
// first expiry and ends one TTL after the refresh; after a loss it
// reports ErrLockLost, after Release ErrReleased.
func (s suite) refresh(t *testing.T) {
	const ttl = 1500 * time.Millisecond
	ctx := testContext(t)
	it := s.locks(t, 1)[0].Item(uniqueID(t), brokerlock.Options{TTL: ttl, Timeout: waitBound})
	h := mustHold(t, ctx, it)
	acquired := time.Now()
	wantAliveUntil(t, h, acquired.Add(ttl*2/3))
	first, start := h.Expires(), time.Now()
	wantNoErr(t, "Refresh", h.Refresh(ctx))
	end := time.Now()
	wantBetween(t, "Expires after Refresh", h.Expires(), start.Add(ttl), end.Add(ttl))
	if !h.Expires().After(first) {
		t.Errorf("Expires after Refresh: got %v, want later than %v", h.Expires(), first)
	}
	wantAliveUntil(t, h, acquired.Add(ttl+200*time.Millisecond))
	if !waitClosed(h.Done(), time.Until(end.Add(ttl+ttlSlack))) {
		t.Fatalf("Done still open %v after Refresh; want closed after the TTL %v", since(start), ttl)
	}
	wantErrIs(t, "Err after the refreshed TTL", h.Err(), brokerlock.ErrLockLost)
	wantErrIs(t, "Refresh after the loss", h.Refresh(ctx), brokerlock.ErrLockLost)
	released := mustHold(t, ctx, it)
	wantNoErr(t, "Release", released.Release(ctx))
	wantErrIs(t, "Refresh after Release", released.Refresh(ctx), brokerlock.ErrReleased)
}

// wantAliveUntil waits until deadline and fails if h ends before then.
func wantAliveUntil(t *testing.T, h *brokerlock.Hold, deadline time.Time) {
	t.Helper()
	if waitClosed(h.Done(), time.Until(deadline)) {
		t.Fatalf("hold ended %v too early: %v", time.Until(deadline).Round(time.Millisecond), h.Err())
	}
	if err := h.Err(); err != nil {
		t.Fatalf("Err of a live hold: got %v, want nil", err)
	}
}

// wantBetween wants lo <= got <= hi.
func wantBetween(t *testing.T, what string, got, lo, hi time.Time) {
	t.Helper()
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s: got %v, want between %v and %v", what, got, lo, hi)
	}
}
