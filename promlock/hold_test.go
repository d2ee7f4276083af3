package promlock_test

import (
	"errors"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Release counts ok, ends the hold as released, and counts no loss; the
// metrics are settled when Release returns.
func TestReleaseCounts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	h, err := f.lock.Item("job", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatalf("Release: got error %v, want nil", err)
	}
	wantValues(t, f.reg, "after Release",
		want{releases, []string{"result", "ok"}, 1},
		want{durations, []string{"end", "released"}, 1},
		want{inProgress, nil, 0},
		want{losses, nil, 0})
}

// A hold lost without Release (memadapter.Revoke, as an operator deleting
// the key) counts as a loss as soon as its Done closes, and its later
// Release counts as lost.
func TestLossCounts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	h, err := f.lock.Item("job", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if !f.other.Revoke("job") {
		t.Fatalf("Revoke: got false, want the hold revoked")
	}
	<-h.Done()
	eventually(t, "the loss is counted", func() bool { return value(t, f.reg, losses) == 1 })
	wantValues(t, f.reg, "after the loss",
		want{durations, []string{"end", "lost"}, 1},
		want{inProgress, nil, 0},
		want{releases, []string{"result", "lost"}, 0})
	if err := h.Release(ctx); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Fatalf("Release: got error %v, want ErrLockLost", err)
	}
	wantValues(t, f.reg, "after Release of the lost hold",
		want{releases, []string{"result", "lost"}, 1},
		want{losses, nil, 1},
		want{durations, []string{"end", "lost"}, 1})
}

// Close ends live holds as closed, which is no loss, and has settled the
// metrics by the time it returns.
func TestCloseEndsHoldsAsClosed(t *testing.T) {
	f := newFixture(t)
	h, err := f.lock.Item("job", brokerlock.Options{}).Hold(t.Context())
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if err := f.wrapped.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	wantValues(t, f.reg, "after Close",
		want{durations, []string{"end", "closed"}, 1},
		want{inProgress, nil, 0},
		want{losses, nil, 0})
	if err := h.Err(); !errors.Is(err, brokerlock.ErrClosed) {
		t.Errorf("Err after Close: got %v, want ErrClosed", err)
	}
}

// Refresh of a lost hold counts in errors_total{op=refresh,kind=lost}.
func TestRefreshErrorCounts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	h, err := f.lock.Item("job", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	f.other.Revoke("job")
	if err := h.Refresh(ctx); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Fatalf("Refresh: got error %v, want ErrLockLost", err)
	}
	wantValues(t, f.reg, "after a failed Refresh",
		want{errorsTotal, []string{"op", "refresh", "kind", "lost"}, 1})
}
