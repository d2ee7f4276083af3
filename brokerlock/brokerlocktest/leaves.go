package brokerlocktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// waitCalls returns Hold, Acquire and Do; Do's fn must not run.
func waitCalls(t *testing.T) []itemCall {
	return []itemCall{
		{"Hold", func(ctx context.Context, it *brokerlock.Item) error {
			_, err := it.Hold(ctx)
			return err
		}},
		{"Acquire", func(ctx context.Context, it *brokerlock.Item) error { return it.Acquire(ctx) }},
		{"Do", func(ctx context.Context, it *brokerlock.Item) error {
			return it.Do(ctx, doNotCalled(t, "without the lock"))
		}},
	}
}

// leaveCheck is a lock held by a first client, a waiter's item on a
// second (probed) client, and a third client that checks afterwards
// that the waiter left nothing queued.
type leaveCheck struct {
	holder *brokerlock.Hold
	probe  *probe
	waiter *brokerlock.Item
	third  *brokerlock.Item
}

func (s suite) newLeaveCheck(t *testing.T, ctx context.Context, waiterOpts brokerlock.Options) *leaveCheck {
	t.Helper()
	id := uniqueID(t)
	bls := s.locks(t, 2)
	bl, p := s.probed(t)
	return &leaveCheck{
		holder: mustHold(t, ctx, bls[0].Item(id, waitOpts)),
		probe:  p,
		waiter: bl.Item(id, waiterOpts),
		third:  bls[1].Item(id, waitOpts),
	}
}

// wantNothingLeft releases the holder and checks that the lock is free
// at once: no waiter's key took over.
func (c *leaveCheck) wantNothingLeft(t *testing.T, ctx context.Context) {
	t.Helper()
	if c.waiter.Acquired() {
		t.Errorf("waiter's Acquired after its failed waits: got true, want false")
	}
	wantNoErr(t, "holder's Release", c.holder.Release(ctx))
	wantReserved(t, ctx, "after the holder released", false, c.third, c.waiter)
	wantTryHold(t, ctx, "third party after the holder released", c.third)
}

// timeoutLeavesNothing: waits that run out of Options.Timeout fail with
// ErrTimeout and context.DeadlineExceeded, not before the Timeout, and
// leave nothing queued.
func (s suite) timeoutLeavesNothing(t *testing.T) {
	const timeout = 200 * time.Millisecond
	ctx := testContext(t)
	c := s.newLeaveCheck(t, ctx, brokerlock.Options{Timeout: timeout})
	for _, w := range waitCalls(t) {
		start := time.Now()
		err := w.call(ctx, c.waiter)
		if took := time.Since(start); took < timeout {
			t.Errorf("%s: returned after %v, want no earlier than the Timeout %v", w.name, took, timeout)
		}
		wantErrIs(t, w.name+" on a held lock", err, brokerlock.ErrTimeout, context.DeadlineExceeded)
	}
	c.wantNothingLeft(t, ctx)
}

// cancelLeavesNothing: a wait whose ctx is cancelled, while queued or
// before it starts, fails with context.Canceled (not ErrTimeout) and
// leaves nothing queued.
func (s suite) cancelLeavesNothing(t *testing.T) {
	ctx := testContext(t)
	c := s.newLeaveCheck(t, ctx, waitOpts)
	cancelWhileQueued(t, ctx, c)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, w := range waitCalls(t) {
		wantCanceled(t, w.name+" with a cancelled ctx on a held lock", w.call(cancelled, c.waiter))
	}
	c.wantNothingLeft(t, ctx)
	_, err := c.waiter.Hold(cancelled)
	wantCanceled(t, "Hold with a cancelled ctx on a free lock", err)
	wantReserved(t, ctx, "after Hold with a cancelled ctx", false, c.third)
}

// cancelWhileQueued cancels a Hold that waits in the queue.
func cancelWhileQueued(t *testing.T, ctx context.Context, c *leaveCheck) {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		h, err := c.waiter.Hold(wctx)
		if err == nil {
			err = errors.Join(errors.New("got the lock"), h.Release(ctx))
		}
		res <- err
	}()
	c.probe.waitQueued(t)
	cancel()
	wantCanceled(t, "Hold cancelled while queued", receive(t, "cancelled Hold", res))
}

// wantCanceled wants context.Canceled and not ErrTimeout.
func wantCanceled(t *testing.T, what string, err error) {
	t.Helper()
	wantErrIs(t, what, err, context.Canceled)
	if errors.Is(err, brokerlock.ErrTimeout) {
		t.Errorf("%s: got error %v, want no ErrTimeout (the caller cancelled)", what, err)
	}
}
