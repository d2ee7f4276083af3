package memadapter_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestConformance runs the suite on handles of one shared table, one
// table per run.
func TestConformance(t *testing.T) {
	table := memadapter.New()
	t.Cleanup(func() { table.Close() })
	brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
		a := table.NewClient()
		t.Cleanup(func() { a.Close() })
		return a
	})
}

func TestRevoke(t *testing.T) {
	ctx := t.Context()
	a := memadapter.New()
	defer a.Close()
	it := brokerlock.New(a).Item("job", brokerlock.Options{})
	if a.Revoke("job") {
		t.Errorf("Revoke of a free lock: got true, want false")
	}
	h, err := it.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	next := make(chan *brokerlock.Hold, 1)
	go func() {
		h2, err := it.Hold(ctx)
		if err != nil {
			t.Errorf("waiter's Hold: %v", err)
		}
		next <- h2
	}()
	waitWaiters(t, a, "job", 1)
	if !a.Revoke("job") {
		t.Errorf("Revoke of a held lock: got false, want true")
	}
	if !errors.Is(h.Err(), brokerlock.ErrLockLost) {
		t.Errorf("Err after Revoke: got %v, want ErrLockLost", h.Err())
	}
	h2 := <-next
	if h2 == nil {
		return
	}
	if h2.Token() <= h.Token() {
		t.Errorf("token after Revoke: got %d after %d, want larger", h2.Token(), h.Token())
	}
	if err := h.Release(ctx); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("Release after Revoke: got %v, want ErrLockLost", err)
	}
	if err := h2.Release(ctx); err != nil {
		t.Errorf("waiter's Release: %v", err)
	}
}

// waitWaiters waits until n callers wait for lock id.
func waitWaiters(t *testing.T, a *memadapter.Adapter, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.Waiters(id) != n {
		if time.Now().After(deadline) {
			t.Fatalf("Waiters(%q): got %d, want %d", id, a.Waiters(id), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCloseClientOnly: closing one handle ends its holds and hands the
// lock to a waiter on another handle; the other handle keeps working.
func TestCloseClientOnly(t *testing.T) {
	ctx := t.Context()
	a := memadapter.New()
	defer a.Close()
	b := a.NewClient()
	defer b.Close()
	h, err := brokerlock.New(a).Item("x", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		h2, err := brokerlock.New(b).Item("x", brokerlock.Options{}).Hold(ctx)
		if err == nil {
			err = h2.Release(ctx)
		}
		got <- err
	}()
	waitWaiters(t, a, "x", 1)
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-got; err != nil {
		t.Errorf("waiter on the other handle: got %v, want the lock", err)
	}
	if !errors.Is(h.Err(), brokerlock.ErrClosed) {
		t.Errorf("Err after Close: got %v, want ErrClosed", h.Err())
	}
}

// TestCancelAtGrant races a waiter's cancellation against the holder's
// Release many times: whichever wins, the lock is never left held.
func TestCancelAtGrant(t *testing.T) {
	a := memadapter.New()
	defer a.Close()
	it := brokerlock.New(a).Item("race", brokerlock.Options{Timeout: -1})
	for i := range 300 {
		raceOnce(t, it, i)
	}
}

func raceOnce(t *testing.T, it *brokerlock.Item, i int) {
	h, err := it.Hold(t.Context())
	if err != nil {
		t.Fatalf("round %d: Hold: %v", i, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if h2, err := it.Hold(ctx); err == nil {
			_ = h2.Release(t.Context())
		}
	})
	time.Sleep(time.Duration(i%7) * 10 * time.Microsecond)
	wg.Go(cancel)
	_ = h.Release(t.Context())
	wg.Wait()
	if ok, _ := it.IsReserved(t.Context()); ok {
		t.Fatalf("round %d: lock still held after both ended", i)
	}
}

// TestWaitersLeaveNothing: failed Try, cancelled and timed-out waits
// leave no waiter behind, as Waiters shows directly.
func TestWaitersLeaveNothing(t *testing.T) {
	ctx := t.Context()
	a := memadapter.New()
	defer a.Close()
	it := brokerlock.New(a).Item("w", brokerlock.Options{Timeout: 50 * time.Millisecond})
	h, err := it.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	if _, err := it.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("TryHold: got %v, want ErrLocked", err)
	}
	if _, err := it.Hold(ctx); !errors.Is(err, brokerlock.ErrTimeout) {
		t.Errorf("Hold: got %v, want ErrTimeout", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := it.Hold(cctx); done <- err }()
	waitWaiters(t, a, "w", 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Hold: got %v, want context.Canceled", err)
	}
	if n := a.Waiters("w"); n != 0 {
		t.Errorf("Waiters: got %d, want 0", n)
	}
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// TestKeepAliveExpires: a KeepAlive hold's Expires moves with the clock
// and stops when the hold ends.
func TestKeepAliveExpires(t *testing.T) {
	a := memadapter.New()
	defer a.Close()
	h, err := brokerlock.New(a).Item("k", brokerlock.Options{TTL: time.Minute, KeepAlive: true}).Hold(t.Context())
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	first := h.Expires()
	time.Sleep(2 * time.Millisecond) // let the clock move
	if second := h.Expires(); !second.After(first) {
		t.Errorf("Expires: got %v after %v, want later", second, first)
	}
	if err := h.Release(t.Context()); err != nil {
		t.Errorf("Release: %v", err)
	}
	if ended := h.Expires(); ended.After(time.Now()) {
		t.Errorf("Expires after Release: got %v, want not in the future", ended)
	}
}
