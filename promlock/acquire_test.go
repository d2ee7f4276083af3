package promlock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const (
	acquisitions = "brokerlock_acquisitions_total"
	waits        = "brokerlock_acquire_wait_seconds"
	inProgress   = "brokerlock_holds_in_progress"
	durations    = "brokerlock_hold_duration_seconds"
	losses       = "brokerlock_losses_total"
	releases     = "brokerlock_releases_total"
	errorsTotal  = "brokerlock_errors_total"
)

// A successful Hold counts as acquired, its wait is observed, and the
// hold is in progress until released.
func TestAcquiredCounts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	h, err := f.lock.Item("job", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	wantValues(t, f.reg, "while held",
		want{acquisitions, []string{"result", "acquired"}, 1},
		want{waits, []string{"result", "acquired"}, 1},
		want{inProgress, nil, 1},
		want{acquisitions, []string{"result", "locked"}, 0})
	if err := h.Release(ctx); err != nil {
		t.Fatalf("Release: got error %v, want nil", err)
	}
	wantValues(t, f.reg, "after Release", want{inProgress, nil, 0})
}

// TryHold on a lock another process holds counts as locked, and holds
// nothing.
func TestTryHoldBusyCountsLocked(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	holdElsewhere(t, f, "job")
	_, err := f.lock.Item("job", brokerlock.Options{}).TryHold(ctx)
	if !errors.Is(err, brokerlock.ErrLocked) {
		t.Fatalf("TryHold: got error %v, want ErrLocked", err)
	}
	wantValues(t, f.reg, "after a busy TryHold",
		want{acquisitions, []string{"result", "locked"}, 1},
		want{waits, []string{"result", "locked"}, 1},
		want{acquisitions, []string{"result", "acquired"}, 0},
		want{inProgress, nil, 0})
}

// A Hold that waits out Options.Timeout counts as timeout, and its
// observed wait is at least the timeout.
func TestTimeoutCounts(t *testing.T) {
	f := newFixture(t)
	holdElsewhere(t, f, "job")
	const timeout = 50 * time.Millisecond
	_, err := f.lock.Item("job", brokerlock.Options{Timeout: timeout}).Hold(t.Context())
	if !errors.Is(err, brokerlock.ErrTimeout) {
		t.Fatalf("Hold: got error %v, want ErrTimeout", err)
	}
	wantValues(t, f.reg, "after a timeout", want{acquisitions, []string{"result", "timeout"}, 1})
	m := metric(t, f.reg, waits, "result", "timeout")
	if got := m.GetHistogram().GetSampleSum(); got < timeout.Seconds() {
		t.Errorf("%s{result=timeout} sum: got %vs, want at least %v", waits, got, timeout)
	}
}

// A Hold whose ctx is cancelled while it waits counts as canceled.
func TestCancelCounts(t *testing.T) {
	f := newFixture(t)
	holdElsewhere(t, f, "job")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := f.lock.Item("job", brokerlock.Options{}).Hold(ctx)
		done <- err
	}()
	eventually(t, "the Hold is queued", func() bool { return f.other.Waiters("job") == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Hold: got error %v, want context.Canceled", err)
	}
	wantValues(t, f.reg, "after a cancelled wait",
		want{acquisitions, []string{"result", "canceled"}, 1},
		want{waits, []string{"result", "canceled"}, 1})
}

// Acquire and IsReserved after Close count as closed.
func TestClosedCounts(t *testing.T) {
	f := newFixture(t)
	if err := f.wrapped.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	it := f.lock.Item("job", brokerlock.Options{})
	if _, err := it.Hold(t.Context()); !errors.Is(err, brokerlock.ErrClosed) {
		t.Errorf("Hold after Close: got error %v, want ErrClosed", err)
	}
	if _, err := it.IsReserved(t.Context()); !errors.Is(err, brokerlock.ErrClosed) {
		t.Errorf("IsReserved after Close: got error %v, want ErrClosed", err)
	}
	wantValues(t, f.reg, "after Close",
		want{acquisitions, []string{"result", "closed"}, 1},
		want{errorsTotal, []string{"op", "is_reserved", "kind", "closed"}, 1})
}

// holdElsewhere takes lock id through the fixture's other, unwrapped
// process until the test ends.
func holdElsewhere(t *testing.T, f fixture, id string) {
	t.Helper()
	h, err := brokerlock.New(f.other).Item(id, brokerlock.Options{}).Hold(t.Context())
	if err != nil {
		t.Fatalf("Hold in the other process: got error %v, want the lock", err)
	}
	t.Cleanup(func() { _ = h.Release(context.Background()) })
}
