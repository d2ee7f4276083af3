package brokerlocktest

import (
	"context"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// holdLifecycle: a live Hold has no Err, an open Done and a Key of its
// own; Release returns nil, then Err is ErrReleased, Done is closed and a
// second Release returns nil. Release works with a ctx already done.
func (s suite) holdLifecycle(t *testing.T) {
	ctx := testContext(t)
	id, otherID := uniqueID(t), uniqueID(t)
	bl := s.locks(t, 1)[0]
	h := mustHold(t, ctx, bl.Item(id, waitOpts))
	other := mustHold(t, ctx, bl.Item(otherID, waitOpts))
	if h.ID() != id || h.Err() != nil || isClosed(h.Done()) {
		t.Errorf("live hold: got ID %q, Err %v, Done closed %v; want %q, nil, false", h.ID(), h.Err(), isClosed(h.Done()), id)
	}
	if h.Key() == "" || h.Key() == other.Key() {
		t.Errorf("Keys of two live holds: got %q and %q, want two different non-empty keys", h.Key(), other.Key())
	}
	wantNoErr(t, "Release", h.Release(ctx))
	wantErrIs(t, "Err after Release", h.Err(), brokerlock.ErrReleased)
	if !isClosed(h.Done()) {
		t.Errorf("Done after Release returned: open, want closed")
	}
	wantNoErr(t, "second Release", h.Release(ctx))
	done, cancel := context.WithCancel(ctx)
	cancel()
	wantNoErr(t, "Release with a cancelled ctx", other.Release(done))
	wantReserved(t, ctx, "after Release with a cancelled ctx", false, bl.Item(otherID, waitOpts))
}
