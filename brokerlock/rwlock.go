package brokerlock

import (
	"context"
	"fmt"
)

// RWLock is a named readers/writer lock: many readers or one writer, in
// one FIFO queue. A reader holds when no writer is ahead of it, a writer
// when nothing is; so readers that come after a waiting writer wait behind
// it, and writers do not starve. Every hold, reader's or writer's, is a
// *Hold with its own fencing token and the Options' TTL, KeepAlive,
// Timeout and Label. It is safe for concurrent use by many goroutines.
//
// On etcd a writer's key is an ordinary lock key: an Item on the same id,
// etcd's concurrency.Mutex and `etcdctl lock` are writers, and a reader
// treats any key that is not a reader's as a writer's. A reader waits on
// the nearest writer ahead of it, a writer on the key just ahead of it.
//
// A reader's reads need a fence as much as a writer's writes: a read still
// in flight when the hold is lost can be served after a writer got in. Put
// the read in a txn guarded by the hold's token (for etcd:
// etcdadapter.IsOwner), and use what it read only if the guard held.
type RWLock struct {
	adapter Adapter
	id      string
	opts    Options
	invalid error
}

// RWLock returns the readers/writer lock id with opts (zero fields take
// the defaults). It does no I/O. An empty id or invalid options make every
// call return an error wrapping ErrInvalid.
func (l *BrokerLock) RWLock(id string, opts Options) *RWLock {
	opts = opts.withDefaults()
	err := opts.validate()
	if id == "" {
		err = fmt.Errorf("%w: id %q: want a non-empty string", ErrInvalid, id)
	}
	return &RWLock{adapter: l.adapter, id: id, opts: opts, invalid: err}
}

// ID returns the lock's name.
func (rw *RWLock) ID() string { return rw.id }

// Options returns the options with the defaults filled in.
func (rw *RWLock) Options() Options { return rw.opts }

// Err returns the error wrapping ErrInvalid that every call returns when
// the id or options are invalid, and nil otherwise.
func (rw *RWLock) Err() error { return rw.invalid }

// Hold blocks until it holds the lock exclusively (a writer), as
// Item.Hold does: at most Options.Timeout, nothing left queued on failure.
func (rw *RWLock) Hold(ctx context.Context) (*Hold, error) { return rw.acquire(ctx, false, false) }

// TryHold takes the lock exclusively only if nobody holds or waits for
// it; otherwise ErrLocked, nothing left queued.
func (rw *RWLock) TryHold(ctx context.Context) (*Hold, error) { return rw.acquire(ctx, true, false) }

// Do holds the lock exclusively while fn runs, as Item.Do does.
func (rw *RWLock) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	return doHeld(ctx, rw.Hold, fn)
}

// RHold blocks until it holds the lock shared (a reader): once no writer
// is ahead of it in the queue. Timeout and cancellation as for Hold.
func (rw *RWLock) RHold(ctx context.Context) (*Hold, error) { return rw.acquire(ctx, false, true) }

// TryRHold takes the lock shared only if no writer holds or waits for it;
// otherwise ErrLocked, nothing left queued.
func (rw *RWLock) TryRHold(ctx context.Context) (*Hold, error) { return rw.acquire(ctx, true, true) }

// RDo holds the lock shared while fn runs, as Item.Do does.
func (rw *RWLock) RDo(ctx context.Context, fn func(ctx context.Context) error) error {
	return doHeld(ctx, rw.RHold, fn)
}

// Inspect returns the holders (the readers holding, or the writer) and
// the waiters in queue order; Entry.Shared marks readers.
func (rw *RWLock) Inspect(ctx context.Context) (LockInfo, error) {
	if rw.invalid != nil {
		return LockInfo{}, rw.invalid
	}
	return inspect(ctx, rw.adapter, "rwlock", rw.id)
}

func (rw *RWLock) acquire(ctx context.Context, try, shared bool) (*Hold, error) {
	if rw.invalid != nil {
		return nil, rw.invalid
	}
	return acquireHold(ctx, rw.adapter, "rwlock", rw.id, rw.opts, Request{Kind: KindRWLock, Try: try, Shared: shared})
}
