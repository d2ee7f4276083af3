package brokerlocktest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// mutualExclusion: goroutines on several clients take one lock over and
// over, through Hold and Do; never two are inside at once, every round
// completes, and the tokens they see go up.
func (s suite) mutualExclusion(t *testing.T) {
	const clients, workers, rounds = 3, 3, 8
	ctx := testContext(t)
	id := uniqueID(t)
	var c exclusionCheck
	var wg sync.WaitGroup
	for _, bl := range s.locks(t, clients) {
		it := bl.Item(id, waitOpts)
		for w := range workers {
			wg.Go(func() { c.work(t, ctx, it, w, rounds) })
		}
	}
	wg.Wait()
	if got, want := c.completed.Load(), int64(clients*workers*rounds); got != want {
		t.Errorf("completed rounds: got %d, want %d", got, want)
	}
}

// exclusionCheck is the shared state of mutualExclusion's workers.
type exclusionCheck struct {
	inside    atomic.Int32 // goroutines in the critical section
	completed atomic.Int64 // rounds done
	lastToken atomic.Int64 // token of the latest Hold-path holder
}

// work runs rounds of the critical section, alternating Hold and Do.
func (c *exclusionCheck) work(t *testing.T, ctx context.Context, it *brokerlock.Item, w, rounds int) {
	for r := range rounds {
		var err error
		if (w+r)%2 == 0 {
			err = c.viaHold(t, ctx, it)
		} else {
			err = it.Do(ctx, func(context.Context) error { c.critical(t); return nil })
		}
		if err != nil {
			t.Errorf("worker %d round %d: got error %v, want nil", w, r, err)
			return
		}
		c.completed.Add(1)
	}
}

// viaHold runs the critical section under Hold and checks the token.
func (c *exclusionCheck) viaHold(t *testing.T, ctx context.Context, it *brokerlock.Item) error {
	h, err := it.Hold(ctx)
	if err != nil {
		return err
	}
	if prev := c.lastToken.Swap(h.Token()); h.Token() <= prev {
		t.Errorf("token: got %d after %d, want strictly increasing", h.Token(), prev)
	}
	c.critical(t)
	if err := h.Err(); err != nil {
		t.Errorf("hold ended inside the critical section: %v", err)
	}
	return h.Release(ctx)
}

// critical counts itself in and out and reports company.
func (c *exclusionCheck) critical(t *testing.T) {
	defer c.inside.Add(-1)
	if n := c.inside.Add(1); n != 1 {
		t.Errorf("goroutines inside the critical section: got %d, want 1", n)
	}
	// Not synchronisation: it widens the window in which a second holder
	// would be counted.
	time.Sleep(200 * time.Microsecond)
}
