package brokerlocktest

import "testing"

// isReserved: IsReserved is false while the lock is free, true while
// anyone holds it (seen from the holder's client and from another), and
// false again after Release, for Hold and for Acquire.
func (s suite) isReserved(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	mine, theirs := bls[0].Item(id, waitOpts), bls[1].Item(id, waitOpts)
	wantReserved(t, ctx, "free", false, mine, theirs)
	h := mustHold(t, ctx, mine)
	wantReserved(t, ctx, "held with Hold", true, mine, theirs)
	wantNoErr(t, "Release", h.Release(ctx))
	wantReserved(t, ctx, "after Release", false, mine, theirs)
	if err := theirs.Acquire(ctx); err != nil {
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	wantReserved(t, ctx, "held with Acquire", true, mine, theirs)
	wantNoErr(t, "Item.Release", theirs.Release(ctx))
	wantReserved(t, ctx, "after Item.Release", false, mine, theirs)
}
