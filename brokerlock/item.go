package brokerlock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Item is one named lock with its options. It is safe for concurrent use
// by many goroutines.
//
// It has two APIs. Hold, TryHold and Do are Go-style and stateless: every
// call is an independent acquisition with its own *Hold, so goroutines
// sharing one Item queue up. Acquire, Try and Release are Deepkit-style
// and stateful: the Item holds at most one acquisition at a time.
type Item struct {
	adapter Adapter
	id      string
	opts    Options
	invalid error // non-nil: every call returns it

	mu        sync.Mutex
	held      *Hold // the stateful API's acquisition
	acquiring bool  // a stateful Acquire or Try is in flight
}

// Err returns the error wrapping ErrInvalid that every call on the Item
// returns when its id or options are invalid, and nil otherwise, so that
// a program can check an Item once at start-up.
func (it *Item) Err() error { return it.invalid }

// ID returns the lock's name.
func (it *Item) ID() string { return it.id }

// Options returns the item's options with the defaults filled in.
func (it *Item) Options() Options { return it.opts }

// Hold blocks until it holds the lock, in FIFO order with every other
// waiter, and returns the hold; release it with Hold.Release. It waits at
// most Options.Timeout (then the error wraps ErrTimeout and
// context.DeadlineExceeded) and returns ctx's error when ctx is done
// first. A failed or cancelled Hold leaves nothing queued.
func (it *Item) Hold(ctx context.Context) (*Hold, error) {
	return it.acquire(ctx, false)
}

// TryHold takes the lock only if nobody holds it now; otherwise it returns
// an error wrapping ErrLocked, leaving nothing queued. Its one attempt is
// bounded by Options.Timeout too.
func (it *Item) TryHold(ctx context.Context) (*Hold, error) {
	return it.acquire(ctx, true)
}

// IsReserved reports whether anyone holds the lock now: this or any other
// process, or an etcd concurrency.Mutex or `etcdctl lock` on the same key.
func (it *Item) IsReserved(ctx context.Context) (bool, error) {
	if it.invalid != nil {
		return false, it.invalid
	}
	reserved, err := it.adapter.IsReserved(ctx, it.id)
	if err != nil {
		return false, callErr(err, "lock %q: is reserved", it.id)
	}
	return reserved, nil
}

func (it *Item) acquire(ctx context.Context, try bool) (*Hold, error) {
	if it.invalid != nil {
		return nil, it.invalid
	}
	return acquireHold(ctx, it.adapter, "lock", it.id, it.opts, Request{Kind: KindLock, Try: try})
}

// acquireHold asks adapter for req on id with opts' TTL, KeepAlive and
// Label, waiting at most opts.Timeout; what names the primitive ("lock",
// "semaphore", "rwlock") in errors.
func acquireHold(ctx context.Context, adapter Adapter, what, id string, opts Options, req Request) (*Hold, error) {
	wctx, cancel := withTimeout(ctx, opts.Timeout)
	defer cancel()
	req.TTL, req.KeepAlive, req.Label = opts.TTL, opts.KeepAlive, opts.Label
	acq, err := adapter.Acquire(wctx, id, req)
	if err != nil {
		return nil, acquireError(ctx, wctx, what, id, opts.Timeout, err)
	}
	return &Hold{id: id, acq: acq}, nil
}

// errTimeoutCause marks the cancellation that Options.Timeout caused.
var errTimeoutCause = errors.New("brokerlock: Options.Timeout passed")

func withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, timeout, errTimeoutCause)
}

// acquireError names what was acquired and turns the options' own timeout
// into ErrTimeout, whatever shape the adapter's transport gave the error.
func acquireError(ctx, wctx context.Context, what, id string, timeout time.Duration, err error) error {
	switch {
	case ctx.Err() == nil && errors.Is(context.Cause(wctx), errTimeoutCause):
		cause := fmt.Errorf("%w after %v (%w)", ErrTimeout, timeout, context.DeadlineExceeded)
		if !errors.Is(err, context.DeadlineExceeded) { // the adapter said more than the deadline
			cause = fmt.Errorf("%w: %w", cause, err)
		}
		return callErr(cause, "%s %q", what, id)
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return callErr(fmt.Errorf("%w (%w)", ctx.Err(), err), "%s %q", what, id)
	}
	return callErr(err, "%s %q", what, id)
}
