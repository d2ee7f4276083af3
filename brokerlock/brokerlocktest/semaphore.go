package brokerlocktest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// semaphores returns the semaphore id with limit on n new clients.
func (s suite) semaphores(t *testing.T, id string, limit, n int) []*brokerlock.Semaphore {
	t.Helper()
	sems := make([]*brokerlock.Semaphore, n)
	for i, bl := range s.locks(t, n) {
		sems[i] = bl.Semaphore(id, limit, waitOpts)
	}
	return sems
}

// mustHoldFrom takes a hold with hold and releases it when the test ends.
// Test goroutine only.
func mustHoldFrom(t *testing.T, ctx context.Context, what string, hold func(context.Context) (*brokerlock.Hold, error)) *brokerlock.Hold {
	t.Helper()
	h, err := hold(ctx)
	if err != nil {
		t.Fatalf("%s: got error %v, want to hold", what, err)
	}
	t.Cleanup(func() { _ = h.Release(context.Background()) })
	return h
}

// semaphoreLimit: limit holders hold at once, each with its own token;
// one more TryHold fails with ErrLocked; one more Hold waits until a
// holder releases; Inspect shows every holder with the limit.
func (s suite) semaphoreLimit(t *testing.T) {
	const limit = 3
	ctx := testContext(t)
	id := uniqueID(t)
	sems := s.semaphores(t, id, limit, limit+1)
	var holds []*brokerlock.Hold
	for i, sem := range sems[:limit] {
		h := mustHoldFrom(t, ctx, "TryHold of a free permit", sem.TryHold)
		if i > 0 && h.Token() <= holds[i-1].Token() {
			t.Errorf("token of permit %d: got %d after %d, want strictly increasing", i, h.Token(), holds[i-1].Token())
		}
		holds = append(holds, h)
	}
	_, err := sems[limit].TryHold(ctx)
	wantErrIs(t, "TryHold with every permit taken", err, brokerlock.ErrLocked)
	if info, err := sems[0].Inspect(ctx); err == nil {
		wantPermits(t, "with every permit taken", info, limit, 0)
	}
	next := make(chan *brokerlock.Hold, 1)
	go func() { next <- holdOrNil(t, ctx, "Hold of a waiter", sems[limit].Hold) }()
	select {
	case <-next:
		t.Errorf("a waiter held while %d of %d permits were taken", limit, limit)
	case <-time.After(queueDelay):
	}
	wantNoErr(t, "a holder's Release", holds[1].Release(ctx))
	if h := receive(t, "the waiter's permit", next); h != nil {
		wantNoErr(t, "the waiter's Release", h.Release(ctx))
	}
}

// wantPermits wants info to show holders permits held and waiters
// waiting, each with a Limit.
func wantPermits(t *testing.T, when string, info brokerlock.LockInfo, holders, waiters int) {
	t.Helper()
	if len(info.Holders) != holders || len(info.Waiters) != waiters {
		t.Errorf("Inspect %s: got %d holders and %d waiters, want %d and %d", when, len(info.Holders), len(info.Waiters), holders, waiters)
	}
	for _, e := range append(info.Holders, info.Waiters...) {
		if e.Limit == 0 {
			t.Errorf("Inspect %s: entry %s has Limit 0, want the semaphore's", when, e.Key)
		}
	}
}

func holdOrNil(t *testing.T, ctx context.Context, what string, hold func(context.Context) (*brokerlock.Hold, error)) *brokerlock.Hold {
	h, err := hold(ctx)
	if err != nil {
		t.Errorf("%s: got error %v, want to hold", what, err)
	}
	return h
}

// semaphoreFIFO: waiters are admitted in the order they queued, exactly
// one per release, with tokens increasing in that order.
func (s suite) semaphoreFIFO(t *testing.T) {
	const limit, waiters = 2, 4
	ctx := testContext(t)
	id := uniqueID(t)
	var held []*brokerlock.Hold // in the order they must be released
	for _, sem := range s.semaphores(t, id, limit, limit) {
		held = append(held, mustHoldFrom(t, ctx, "Hold of a free permit", sem.Hold))
	}
	bl, p := s.probed(t)
	admitted := make(chan permit, waiters)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range waiters {
		sem := bl.Semaphore(id, limit, waitOpts)
		wg.Go(func() {
			if h := holdOrNil(t, ctx, "a waiter's Hold", sem.Hold); h != nil {
				admitted <- permit{grant{waiter: i, token: h.Token()}, h}
			}
		})
		p.waitQueued(t)
	}
	var got []grant
	for i := range waiters {
		wantNoErr(t, "a holder's Release", held[i].Release(ctx))
		next := receive(t, "the next waiter's permit", admitted)
		if next.h == nil {
			return
		}
		got, held = append(got, next.grant), append(held, next.h)
		t.Cleanup(func() { _ = next.h.Release(context.Background()) })
		select {
		case g := <-admitted:
			t.Errorf("release %d admitted two waiters: %d and %d", i, next.waiter, g.waiter)
			_ = g.h.Release(ctx)
		case <-time.After(queueDelay):
		}
	}
	checkFIFO(t, got, waiters)
}

// permit is a waiter's grant and its hold.
type permit struct {
	grant
	h *brokerlock.Hold
}

// semaphoreLimitMismatch: a Hold or TryHold whose limit differs from a
// live holder's fails with ErrInvalid naming both limits, and leaves no
// key.
func (s suite) semaphoreLimitMismatch(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	sems := s.semaphores(t, id, 3, 1)
	mustHoldFrom(t, ctx, "Hold with limit 3", sems[0].Hold)
	other := s.locks(t, 1)[0].Semaphore(id, 2, waitOpts)
	for _, c := range []struct {
		name string
		hold func(context.Context) (*brokerlock.Hold, error)
	}{{"Hold", other.Hold}, {"TryHold", other.TryHold}} {
		_, err := c.hold(ctx)
		wantErrIs(t, c.name+" with limit 2 while a holder has 3", err, brokerlock.ErrInvalid)
		if err != nil && (!strings.Contains(err.Error(), "2") || !strings.Contains(err.Error(), "3")) {
			t.Errorf("%s with limit 2 while a holder has 3: got %q, want both limits named", c.name, err)
		}
	}
	if info, err := sems[0].Inspect(ctx); err == nil {
		wantPermits(t, "after the refused Holds", info, 1, 0)
	}
}

// semaphoreExclusion: clients hammering one semaphore never exceed its
// limit.
func (s suite) semaphoreExclusion(t *testing.T) {
	const limit, clients, permits = 2, 4, 24
	ctx := testContext(t)
	id := uniqueID(t)
	var inside, most, taken atomic.Int64
	var wg sync.WaitGroup
	for _, sem := range s.semaphores(t, id, limit, clients) {
		wg.Go(func() {
			for taken.Add(1) <= permits {
				wantNoErr(t, "Do", sem.Do(ctx, func(context.Context) error {
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(time.Millisecond) // work while holding, so that holds overlap
					inside.Add(-1)
					return nil
				}))
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > limit {
		t.Errorf("holders at once: got up to %d, want at most %d", m, limit)
	}
}

// semaphoreInvalid: a limit below 1 or above MaxSemaphoreLimit, or an
// empty id, make every call fail with ErrInvalid naming the field.
func (s suite) semaphoreInvalid(t *testing.T) {
	ctx := testContext(t)
	bl := s.locks(t, 1)[0]
	for _, c := range []struct {
		id, field string
		limit     int
	}{{uniqueID(t), "limit", 0}, {uniqueID(t), "limit", -1}, {uniqueID(t), "limit", brokerlock.MaxSemaphoreLimit + 1}, {"", "id", 2}} {
		sem := bl.Semaphore(c.id, c.limit, waitOpts)
		if err := sem.Err(); !errors.Is(err, brokerlock.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Semaphore(%q, %d).Err(): got %v, want ErrInvalid naming %s", c.id, c.limit, err, c.field)
		}
		_, err := sem.Hold(ctx)
		wantErrIs(t, "Hold of an invalid semaphore", err, brokerlock.ErrInvalid)
	}
}

// semaphoreCancel: a waiter whose ctx ends returns ctx's error and leaves
// nothing queued.
func (s suite) semaphoreCancel(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	sems := s.semaphores(t, id, 1, 2)
	mustHoldFrom(t, ctx, "Hold of the only permit", sems[0].Hold)
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := sems[1].Hold(cctx)
	wantErrIs(t, "Hold whose ctx timed out", err, context.DeadlineExceeded)
	if info, err := sems[0].Inspect(ctx); err == nil {
		wantPermits(t, "after the cancelled Hold", info, 1, 0)
	}
}
