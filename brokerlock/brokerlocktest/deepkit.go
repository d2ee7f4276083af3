package brokerlocktest

import (
	"context"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// deepkitTwoItemsOneID ports Deepkit's first lock test: two items on one
// id; the first acquires, the second's Try fails, Release frees the lock
// and then the second's Try succeeds.
func (s suite) deepkitTwoItemsOneID(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bl := s.locks(t, 1)[0]
	lock1, lock2 := bl.Item(id, waitOpts), bl.Item(id, waitOpts)
	if err := lock1.Acquire(ctx); err != nil {
		t.Fatalf("lock1.Acquire: got error %v, want nil", err)
	}
	wantAcquired(t, "after lock1.Acquire", lock1, true, lock2, false)
	if ok, err := lock2.Try(ctx); ok || err != nil {
		t.Errorf("lock2.Try while lock1 holds: got (%v, %v), want (false, nil)", ok, err)
	}
	wantAcquired(t, "after lock2's failed Try", lock1, true, lock2, false)
	wantNoErr(t, "lock1.Release", lock1.Release(ctx))
	wantAcquired(t, "after lock1.Release", lock1, false, lock2, false)
	if ok, err := lock2.Try(ctx); !ok || err != nil {
		t.Errorf("lock2.Try after lock1.Release: got (%v, %v), want (true, nil)", ok, err)
	}
	wantAcquired(t, "after lock2.Try", lock1, false, lock2, true)
	wantNoErr(t, "lock2.Release", lock2.Release(ctx))
}

// deepkitTwoIDs ports Deepkit's second lock test, mixing two ids: holding
// one does not affect the other. Ids that share a prefix ("x", "x/y",
// "xy", and "x%2Fy", the escaped form of "x/y") are distinct locks too.
func (s suite) deepkitTwoIDs(t *testing.T) {
	ctx := testContext(t)
	base := uniqueID(t)
	bl := s.locks(t, 1)[0]
	lockA, lockB := bl.Item(base+"-a", waitOpts), bl.Item(base+"-b", waitOpts)
	if err := lockA.Acquire(ctx); err != nil {
		t.Fatalf("lockA.Acquire: got error %v, want nil", err)
	}
	wantReserved(t, ctx, "A held", false, lockB)
	if ok, err := lockB.Try(ctx); !ok || err != nil {
		t.Errorf("lockB.Try while A is held: got (%v, %v), want (true, nil)", ok, err)
	}
	wantAcquired(t, "both held", lockA, true, lockB, true)
	wantNoErr(t, "lockA.Release", lockA.Release(ctx))
	wantAcquired(t, "A released", lockA, false, lockB, true)
	wantReserved(t, ctx, "A released, A", false, lockA)
	wantReserved(t, ctx, "A released, B", true, lockB)
	wantNoErr(t, "lockB.Release", lockB.Release(ctx))
	prefixIDsAreDistinct(t, ctx, bl, base+"/x")
}

// prefixIDsAreDistinct holds x, x/y, xy and x%2Fy at the same time.
func prefixIDsAreDistinct(t *testing.T, ctx context.Context, bl *brokerlock.BrokerLock, x string) {
	t.Helper()
	var holds []*brokerlock.Hold
	for _, id := range []string{x, x + "/y", x + "y", x + "%2Fy", x + "/"} {
		h, err := bl.Item(id, waitOpts).TryHold(ctx)
		if err != nil {
			t.Errorf("TryHold(%q) while locks named with the same prefix are held: got error %v, want the lock", id, err)
			continue
		}
		holds = append(holds, h)
	}
	for _, h := range holds {
		wantNoErr(t, "Release", h.Release(ctx))
	}
}

// wantAcquired checks two items' Acquired.
func wantAcquired(t *testing.T, when string, a *brokerlock.Item, wantA bool, b *brokerlock.Item, wantB bool) {
	t.Helper()
	if got := a.Acquired(); got != wantA {
		t.Errorf("%s: first item's Acquired: got %v, want %v", when, got, wantA)
	}
	if got := b.Acquired(); got != wantB {
		t.Errorf("%s: second item's Acquired: got %v, want %v", when, got, wantB)
	}
}
