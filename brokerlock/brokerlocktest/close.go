package brokerlocktest

import (
	"context"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// closeAdapter: Close ends the adapter's holds (Err wraps ErrLockLost and
// ErrClosed, Done closed by the time Close returns) and frees their locks
// for other clients, wakes its waiters with ErrClosed, leaves other
// clients' holds alone, makes every later call fail with ErrClosed, and
// returns nil when called again.
func (s suite) close(t *testing.T) {
	ctx := testContext(t)
	heldID, waitedID := uniqueID(t), uniqueID(t)
	bl, p := s.probed(t)
	other := s.locks(t, 1)[0]
	h := mustHold(t, ctx, bl.Item(heldID, waitOpts))
	otherHold := mustHold(t, ctx, other.Item(waitedID, waitOpts))
	woken := make(chan error, 1)
	go func() {
		_, err := bl.Item(waitedID, waitOpts).Hold(ctx)
		woken <- err
	}()
	p.waitQueued(t)
	wantNoErr(t, "Close", p.Adapter.Close())
	wantErrIs(t, "waiter woken by Close", receive(t, "waiter woken by Close", woken), brokerlock.ErrClosed)
	if !isClosed(h.Done()) {
		t.Errorf("Done of a live hold after Close returned: open, want closed")
	}
	wantErrIs(t, "Err of a hold after Close", h.Err(), brokerlock.ErrLockLost, brokerlock.ErrClosed)
	wantErrIs(t, "Release of a hold after Close", h.Release(ctx), brokerlock.ErrLockLost)
	wantClosedCalls(t, ctx, bl.Item(heldID, brokerlock.Options{Timeout: closedTimeout}))
	if err := otherHold.Err(); err != nil {
		t.Errorf("another client's hold after Close: got Err %v, want nil", err)
	}
	wantTryHold(t, ctx, "another client on the closed client's lock", other.Item(heldID, waitOpts))
	wantNoErr(t, "second Close", p.Adapter.Close())
}

// closedTimeout bounds the calls on a closed adapter, which should fail
// at once, so that an adapter that ignores Close fails the test quickly.
const closedTimeout = 500 * time.Millisecond

// wantClosedCalls wants every Item method on a closed adapter to fail
// with ErrClosed.
func wantClosedCalls(t *testing.T, ctx context.Context, it *brokerlock.Item) {
	t.Helper()
	for _, m := range failingCalls(t) {
		wantErrIs(t, m.name+" after Close", m.call(ctx, it), brokerlock.ErrClosed)
	}
}
