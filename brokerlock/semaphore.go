package brokerlock

import (
	"context"
	"fmt"
)

// Semaphore is a named counting semaphore: at most Limit holders at once,
// across every process, admitted in FIFO order (a later arrival never
// overtakes a waiter). Each permit is a *Hold with its own fencing token,
// TTL, KeepAlive, Timeout and Label, as a lock's hold has them. It is safe
// for concurrent use by many goroutines.
//
// On etcd each holder and waiter is one key under the id's prefix, as for
// a lock, and holds while fewer than Limit keys are older than its own. A
// release admits exactly the first waiter: only it watches the holders,
// every other waiter watches the key just ahead of it. Every user of one
// id must agree on the limit: a Hold with another limit than a live
// holder's or waiter's fails with ErrInvalid naming both. Keys of other
// kinds in the queue (a lock's, concurrency.Mutex's, `etcdctl lock`'s,
// whatever their value) count as one holder or waiter each, like any key.
type Semaphore struct {
	adapter Adapter
	id      string
	limit   int
	opts    Options
	invalid error
}

// MaxSemaphoreLimit bounds a Semaphore's limit.
const MaxSemaphoreLimit = 1_000_000

// Semaphore returns the semaphore id with limit permits and opts (zero
// fields take the defaults). It does no I/O. An empty id, a limit below 1
// or above MaxSemaphoreLimit, or invalid options make every call return an
// error wrapping ErrInvalid.
func (l *BrokerLock) Semaphore(id string, limit int, opts Options) *Semaphore {
	opts = opts.withDefaults()
	err := opts.validate()
	switch {
	case id == "":
		err = fmt.Errorf("%w: id %q: want a non-empty string", ErrInvalid, id)
	case limit < 1 || limit > MaxSemaphoreLimit:
		err = fmt.Errorf("%w: Semaphore limit %d: want between 1 and %d", ErrInvalid, limit, MaxSemaphoreLimit)
	}
	return &Semaphore{adapter: l.adapter, id: id, limit: limit, opts: opts, invalid: err}
}

// ID returns the semaphore's name.
func (s *Semaphore) ID() string { return s.id }

// Limit returns how many may hold at once.
func (s *Semaphore) Limit() int { return s.limit }

// Options returns the options with the defaults filled in.
func (s *Semaphore) Options() Options { return s.opts }

// Err returns the error wrapping ErrInvalid that every call returns when
// the id, limit or options are invalid, and nil otherwise.
func (s *Semaphore) Err() error { return s.invalid }

// Hold blocks until it holds one permit, in FIFO order with every other
// waiter, and returns it; release it with Hold.Release. It waits at most
// Options.Timeout (then the error wraps ErrTimeout) and returns ctx's
// error when ctx is done first. A failed or cancelled Hold leaves nothing
// queued.
func (s *Semaphore) Hold(ctx context.Context) (*Hold, error) { return s.acquire(ctx, false) }

// TryHold takes a permit only if one is free now and nobody waits for
// one; otherwise it returns an error wrapping ErrLocked, leaving nothing
// queued.
func (s *Semaphore) TryHold(ctx context.Context) (*Hold, error) { return s.acquire(ctx, true) }

// Do holds a permit while fn runs, as Item.Do holds a lock.
func (s *Semaphore) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	return doHeld(ctx, s.Hold, fn)
}

// Inspect returns the holders (Holders, oldest first; Holder is the
// oldest) and the waiters in queue order, each with its Limit.
func (s *Semaphore) Inspect(ctx context.Context) (LockInfo, error) {
	if s.invalid != nil {
		return LockInfo{}, s.invalid
	}
	return inspect(ctx, s.adapter, "semaphore", s.id)
}

func (s *Semaphore) acquire(ctx context.Context, try bool) (*Hold, error) {
	if s.invalid != nil {
		return nil, s.invalid
	}
	return acquireHold(ctx, s.adapter, "semaphore", s.id, s.opts, Request{Kind: KindSemaphore, Try: try, Limit: s.limit})
}
