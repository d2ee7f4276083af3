package brokerlock

import (
	"context"
	"sync/atomic"
	"time"
)

// Hold is one held acquisition of a lock, from Item.Hold, Item.TryHold or
// Item.Current. It is safe for concurrent use.
//
// A hold can end without Release: without KeepAlive when its TTL runs out,
// and in any mode when its key or lease disappears or the adapter cannot
// reach the server for longer than the lease allows. Done closes then: for
// the TTL and an unrenewable lease before anyone else can acquire the
// lock; for a key or lease removed from outside as soon as the adapter
// hears of it. Stop the guarded work when it does, and guard writes to
// shared state with Token.
type Hold struct {
	id       string
	acq      Acquisition
	released atomic.Bool
}

// Release ends the hold and removes its key, even when ctx is already
// done (the removal then runs on a context of its own, bounded to a few
// seconds). The first call returns nil, an error wrapping ErrLockLost if
// the hold had been lost, or the transport error if the server could not
// be reached; the hold is over for the caller either way, and the adapter
// keeps removing the key in the background until that succeeds or the
// adapter is closed. Later calls return nil.
func (h *Hold) Release(ctx context.Context) error {
	if h.released.Swap(true) {
		return nil
	}
	if err := h.acq.Release(ctx); err != nil {
		return callErr(err, "lock %q: release", h.id)
	}
	return nil
}

// Token is the fencing token: strictly greater than the token of every
// earlier holder of the same lock. Pass it along with writes to shared
// state and have the state refuse writes with a lower token (for etcd:
// etcdadapter.IsOwner in the write's txn). Tokens of different locks do
// not order anything: two locks can have the same one.
func (h *Hold) Token() int64 { return h.acq.Token() }

// Key is the adapter's key for this hold (etcd: the full key), for write
// guards.
func (h *Hold) Key() string { return h.acq.Key() }

// Done is closed when the hold ends: released, or lost.
func (h *Hold) Done() <-chan struct{} { return h.acq.Done() }

// Err is nil while the hold lasts, an error wrapping ErrLockLost after a
// loss, and ErrReleased after Release.
func (h *Hold) Err() error { return h.acq.Err() }

// Expires is when Done will close unless the hold is refreshed or renewed.
// With KeepAlive it moves forward with every renewal.
func (h *Hold) Expires() time.Time { return h.acq.Expires() }

// Refresh starts the TTL again from now. It returns an error wrapping
// ErrLockLost if the hold was already lost, and ErrReleased after Release.
func (h *Hold) Refresh(ctx context.Context) error {
	if err := h.acq.Refresh(ctx); err != nil {
		return callErr(err, "lock %q: refresh", h.id)
	}
	return nil
}

// ID returns the name of the lock held.
func (h *Hold) ID() string { return h.id }
