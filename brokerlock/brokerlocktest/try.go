package brokerlocktest

import (
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// tryHold: TryHold and Try take a free lock; on a held one they fail
// with ErrLocked and (false, nil), from any client, and leave nothing
// queued: once the holder releases, a third party gets the lock at once.
func (s suite) tryHold(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 3)
	first := bls[0].Item(id, waitOpts)
	h, err := first.TryHold(ctx)
	if err != nil {
		t.Fatalf("TryHold on a free lock: got error %v, want the lock", err)
	}
	contenders := []struct {
		name string
		it   *brokerlock.Item
	}{
		{"another client", bls[1].Item(id, waitOpts)},
		{"the same client", bls[0].Item(id, waitOpts)},
		{"the holding item", first},
	}
	for _, c := range contenders {
		got, err := c.it.TryHold(ctx)
		wantErrIs(t, "TryHold from "+c.name+" while held", err, brokerlock.ErrLocked)
		if got != nil {
			t.Errorf("TryHold from %s while held: got a hold, want nil", c.name)
		}
	}
	second := contenders[0].it
	if ok, err := second.Try(ctx); ok || err != nil {
		t.Errorf("Try while held: got (%v, %v), want (false, nil)", ok, err)
	}
	if second.Acquired() {
		t.Errorf("Acquired after a failed Try: got true, want false")
	}
	wantNoErr(t, "Release", h.Release(ctx))
	wantTryHold(t, ctx, "third party after the failed tries", bls[2].Item(id, waitOpts))
	if ok, err := second.Try(ctx); !ok || err != nil {
		t.Errorf("Try on a free lock: got (%v, %v), want (true, nil)", ok, err)
	}
	wantNoErr(t, "Release after Try", second.Release(ctx))
}
