package brokerlocktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// inspect: an Inspector reports no holder for a free lock; the holder's
// key, token, label, TTL, mode, identity and acquisition time; waiters in
// queue order with their labels; and the next holder after a Release. An
// adapter that is not an Inspector makes Item.Inspect fail with
// errors.ErrUnsupported.
func (s suite) inspect(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 1)
	observer := bls[0].Item(id, waitOpts)
	if _, ok := s.newAdapter(t).(brokerlock.Inspector); !ok {
		_, err := observer.Inspect(ctx)
		wantErrIs(t, "Inspect on an adapter that is not an Inspector", err, errors.ErrUnsupported)
		return
	}
	wantInspect(t, ctx, "free", observer, nil)
	first := brokerlock.Options{TTL: time.Minute, KeepAlive: true, Timeout: waitBound, Label: "first"}
	before := time.Now()
	h := mustHold(t, ctx, s.locks(t, 1)[0].Item(id, first))
	after := time.Now()
	bl, p := s.probed(t)
	next := make(chan *brokerlock.Hold, 1)
	go func() {
		h2, err := bl.Item(id, brokerlock.Options{TTL: 30 * time.Second, Timeout: waitBound, Label: "second"}).Hold(ctx)
		if err != nil {
			t.Errorf("waiter's Hold: got error %v, want the lock", err)
		}
		next <- h2
	}()
	p.waitQueued(t)
	info := eventuallyWaiters(t, ctx, observer, 1)
	wantHolder(t, "held", info.Holder, h, first, before, after)
	if len(info.Waiters) == 1 {
		w := info.Waiters[0]
		if w.Label != "second" || w.TTL != 30*time.Second || w.KeepAlive || !w.AcquiredAt.IsZero() {
			t.Errorf("waiter: got label %q, TTL %v, KeepAlive %v, AcquiredAt %v; want \"second\", 30s, false, zero",
				w.Label, w.TTL, w.KeepAlive, w.AcquiredAt)
		}
	}
	wantNoErr(t, "holder's Release", h.Release(ctx))
	h2 := receive(t, "the waiter's hold", next)
	if h2 == nil {
		return
	}
	wantInspect(t, ctx, "after the handoff", observer, h2)
	wantNoErr(t, "waiter's Release", h2.Release(ctx))
	wantInspect(t, ctx, "after both released", observer, nil)
}

// wantInspect checks that its holder is h (nil: free) and nobody waits.
func wantInspect(t *testing.T, ctx context.Context, when string, it *brokerlock.Item, h *brokerlock.Hold) {
	t.Helper()
	info, err := it.Inspect(ctx)
	switch {
	case err != nil:
		t.Errorf("Inspect %s: got error %v, want nil", when, err)
	case info.ID != it.ID() || len(info.Waiters) != 0:
		t.Errorf("Inspect %s: got id %q and %d waiters, want %q and 0", when, info.ID, len(info.Waiters), it.ID())
	case h == nil && info.Holder != nil:
		t.Errorf("Inspect %s: got holder %+v, want none", when, *info.Holder)
	case h != nil && (info.Holder == nil || info.Holder.Token != h.Token() || info.Holder.Key != h.Key()):
		t.Errorf("Inspect %s: got holder %+v, want token %d, key %q", when, info.Holder, h.Token(), h.Key())
	}
}

// wantHolder checks what Inspect says of holder h, acquired with opts
// between before and after.
func wantHolder(t *testing.T, when string, got *brokerlock.Entry, h *brokerlock.Hold, opts brokerlock.Options, before, after time.Time) {
	t.Helper()
	if got == nil {
		t.Errorf("Inspect %s: got no holder, want token %d", when, h.Token())
		return
	}
	if got.Token != h.Token() || got.Key != h.Key() || got.Label != opts.Label || got.TTL != opts.TTL ||
		got.KeepAlive != opts.KeepAlive || got.Identity == "" {
		t.Errorf("Inspect %s: got holder %+v; want token %d, key %q, label %q, TTL %v, KeepAlive %v, an identity",
			when, *got, h.Token(), h.Key(), opts.Label, opts.TTL, opts.KeepAlive)
	}
	const slack = time.Second // clocks are one machine's; JSON keeps nanoseconds
	if got.AcquiredAt.Before(before.Add(-slack)) || got.AcquiredAt.After(after.Add(slack)) {
		t.Errorf("Inspect %s: holder's AcquiredAt %v, want between %v and %v", when, got.AcquiredAt, before, after)
	}
}

// eventuallyWaiters polls Inspect until n waiters are queued.
func eventuallyWaiters(t *testing.T, ctx context.Context, it *brokerlock.Item, n int) brokerlock.LockInfo {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		info, err := it.Inspect(ctx)
		if err == nil && len(info.Waiters) == n {
			return info
		}
		if time.Now().After(deadline) {
			t.Errorf("Inspect: got %d waiters (error %v) after %v, want %d", len(info.Waiters), err, waitBound, n)
			return info
		}
		time.Sleep(10 * time.Millisecond)
	}
}
