package etcdadapter_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// 200 waiters over 4 clients on one lock are all served once, one at a
// time, and nothing is left behind.
func TestManyWaiters(t *testing.T) {
	prefix := testPrefix(t)
	items := make([]*brokerlock.Item, 4)
	for i := range items {
		items[i] = brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{Timeout: time.Minute})
	}
	var inside, served atomic.Int32
	var wg sync.WaitGroup
	for w := range 200 {
		wg.Go(func() {
			h, err := items[w%len(items)].Hold(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			if n := inside.Add(1); n != 1 {
				t.Errorf("%d holders at once, want 1", n)
			}
			inside.Add(-1)
			served.Add(1)
			if err := h.Release(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if served.Load() != 200 {
		t.Errorf("served: got %d, want 200", served.Load())
	}
	requireNoKeys(t, prefix)
}

// Timeouts, cancellations and failed tries leave no key behind.
func TestFailuresLeaveNoKey(t *testing.T) {
	prefix := testPrefix(t)
	lock := brokerlock.New(newAdapter(t, prefix))
	h := mustHold(t, lock.Item("job", brokerlock.Options{}))
	short := lock.Item("job", brokerlock.Options{Timeout: 50 * time.Millisecond})
	for range 5 {
		if _, err := short.Hold(context.Background()); !errors.Is(err, brokerlock.ErrTimeout) {
			t.Errorf("Hold: got %v, want ErrTimeout", err)
		}
		if _, err := short.TryHold(context.Background()); !errors.Is(err, brokerlock.ErrLocked) {
			t.Errorf("TryHold: got %v, want ErrLocked", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := short.Hold(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Hold with a cancelled ctx: got %v, want context.Canceled", err)
		}
	}
	if keys := keysUnder(t, prefix); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys while held after failures: got %q, want only the holder's %q", keys, h.Key())
	}
	if err := h.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	requireNoKeys(t, prefix)
}
