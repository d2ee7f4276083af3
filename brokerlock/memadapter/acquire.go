package memadapter

import (
	"context"
	"fmt"
	"slices"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Acquire queues for lock id and returns once it holds it, as
// brokerlock.Adapter promises: with req.Try it fails at once with
// ErrLocked when the lock is held; it gives up when ctx is done, and then
// nothing of the call stays queued, even if the lock was granted at that
// very moment (it passes on to the next waiter).
func (a *Adapter) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	if err := checkRequest(ctx, id, req); err != nil {
		return nil, err
	}
	e, err := a.enqueue(id, req)
	if err != nil {
		return nil, err
	}
	return a.wait(ctx, e)
}

// checkRequest fails a done ctx before queueing, so that it fails even
// when the lock is free.
func checkRequest(ctx context.Context, id string, req brokerlock.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if req.TTL <= 0 {
		return fmt.Errorf("%w: Request.TTL %v: want > 0", brokerlock.ErrInvalid, req.TTL)
	}
	return nil
}

// enqueue adds a new entry for the request to the end of id's queue.
func (a *Adapter) enqueue(id string, req brokerlock.Request) (*entry, error) {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return nil, brokerlock.ErrClosed
	}
	if err := a.table.checkLimitLocked(id, req.Limit); err != nil {
		return nil, err
	}
	e := newEntry(a, id, req)
	if req.Try && !admissible(append(slices.Clone(a.table.queues[id]), e), len(a.table.queues[id])) {
		return nil, lockedError(a.table.queues[id])
	}
	a.entries[e] = struct{}{}
	a.table.enqueueLocked(e)
	return e, nil
}

// wait blocks until e is granted or rejected, or ctx is done.
func (a *Adapter) wait(ctx context.Context, e *entry) (brokerlock.Acquisition, error) {
	select {
	case <-e.ready:
		if e.waitErr != nil {
			return nil, e.waitErr
		}
		return e, nil
	case <-ctx.Done():
		a.table.mu.Lock()
		defer a.table.mu.Unlock()
		e.abandonLocked()
		return nil, ctx.Err()
	}
}

// checkLimitLocked fails a Semaphore request whose limit differs from a
// live holder's or waiter's.
func (t *table) checkLimitLocked(id string, limit int) error {
	if limit == 0 {
		return nil
	}
	for _, e := range t.queues[id] {
		if e.limit > 0 && e.limit != limit {
			return fmt.Errorf("%w: Semaphore limit %d, but a holder or waiter of it uses limit %d",
				brokerlock.ErrInvalid, limit, e.limit)
		}
	}
	return nil
}

// lockedError is TryHold's ErrLocked, with the holder's token as
// etcdadapter gives it.
func lockedError(q []*entry) error {
	if len(q) == 0 {
		return brokerlock.ErrLocked
	}
	return fmt.Errorf("%w (holder's token %d)", brokerlock.ErrLocked, q[0].token)
}
