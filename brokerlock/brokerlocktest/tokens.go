package brokerlocktest

import (
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// tokens: successive holders of one lock, on different clients and
// through Hold and Acquire, get strictly increasing fencing tokens.
func (s suite) tokens(t *testing.T) {
	const rounds = 6
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 3)
	var last int64
	for i := range rounds {
		it := bls[i%len(bls)].Item(id, waitOpts)
		var h *brokerlock.Hold
		if i%2 == 0 {
			h = mustHold(t, ctx, it)
		} else if err := it.Acquire(ctx); err != nil {
			t.Fatalf("Acquire: got error %v, want nil", err)
		} else {
			h = it.Current()
		}
		if i > 0 && h.Token() <= last {
			t.Errorf("token of holder %d: got %d after %d, want strictly increasing", i, h.Token(), last)
		}
		last = h.Token()
		wantNoErr(t, "Release", h.Release(ctx))
	}
}
