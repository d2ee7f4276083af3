package brokerlock

import (
	"context"
	"time"
)

// Adapter is a lock backend: etcdadapter for real use, memadapter for unit
// tests. brokerlocktest.Run checks that an implementation keeps every
// promise written here; BrokerLock adds ids, options, timeouts and the
// stateful Item API on top, so an adapter only queues, holds and releases.
//
// All methods are safe for concurrent use by many goroutines.
type Adapter interface {
	// Acquire queues for lock id and returns once this call holds it. ids
	// are non-empty (BrokerLock checks); opts are validated and defaulted.
	//
	// A request holds by its admission rule: exclusive (no key ahead),
	// Limit (fewer than Limit keys ahead) or Shared (no writer ahead).
	// With req.Try it does not wait: when it would not hold at once it
	// returns an error wrapping ErrLocked. Otherwise it waits in FIFO order
	// until it holds the lock or ctx is done; then it returns an error
	// wrapping ctx.Err(). Either way nothing of this call is left queued:
	// its key is removed before Acquire returns, on a context of its own
	// if ctx is already done. If the call's place in the queue disappears
	// while it waits (deleted, lease revoked), it returns an error wrapping
	// ErrLockLost. After Close it returns an error wrapping ErrClosed, and
	// Close wakes waiters with it.
	Acquire(ctx context.Context, id string, req Request) (Acquisition, error)

	// IsReserved reports whether anyone holds lock id now: any process,
	// and for etcd also a concurrency.Mutex or `etcdctl lock` on the same
	// key prefix. Errors: ctx's, the transport's, ErrClosed.
	IsReserved(ctx context.Context, id string) (bool, error)

	// Head returns lock id's head now: the key with the lowest create
	// revision (etcd) or the first in the queue, which holds the lock or
	// leads the election; the zero Leader when the queue is empty. Its
	// Value is the key's value as stored. Errors: ctx's, the transport's,
	// ErrClosed.
	Head(ctx context.Context, id string) (Leader, error)

	// WatchHead sends lock id's head as Head reports it: the current one
	// first (the zero Leader when the queue is empty), then every change
	// of key, token or value. A receiver that is slow may miss
	// intermediate states but always gets the latest; it never gets an
	// older state after a newer one, nor the same one twice in a row.
	// Transport errors, compaction and reconnects are retried inside. The
	// channel is closed when ctx is done or the adapter is closed, and
	// the adapter's goroutine for it has stopped by the time Close
	// returns.
	WatchHead(ctx context.Context, id string) <-chan Leader

	// Close releases everything this adapter still holds or waits for:
	// each live Acquisition ends with an error wrapping both ErrLockLost
	// and ErrClosed. It stops the adapter's goroutines and waits for them.
	// Later calls return nil.
	Close() error
}

// Kind names the primitive a Request comes from. Adapters need not look
// at it (the other fields say how to queue); wrappers such as promlock
// label their metrics with it.
type Kind string

// The kinds of Request.
const (
	KindLock      Kind = "lock"      // Item
	KindSemaphore Kind = "semaphore" // Semaphore
	KindRWLock    Kind = "rwlock"    // RWLock, readers and writers
	KindElection  Kind = "election"  // Election
)

// Request is what BrokerLock asks an Adapter to acquire.
type Request struct {
	Kind      Kind          // which primitive asks; informational
	TTL       time.Duration // > 0; see Options.TTL
	KeepAlive bool          // see Options.KeepAlive
	Try       bool          // do not wait: fail with ErrLocked when held
	Label     string        // see Options.Label; an Inspector reports it

	// Limit > 0 asks for a permit of a Semaphore of that limit: the key
	// holds when fewer than Limit keys are ahead of it. Every key of the id
	// must ask for the same limit: a different one is ErrInvalid naming
	// both, and no key is left. 0: exclusive.
	Limit int
	// Shared asks for an RWLock reader: the key holds when no key ahead of
	// it is a writer's (a key that is not a reader's is a writer's).
	Shared bool

	// Election asks for an election candidate's key: it holds exactly
	// Value (etcd's Election layout, so that `etcdctl elect` and
	// concurrency.Election read it) instead of the adapter's description
	// of the request, and its Acquisition's SetValue replaces it.
	Election bool
	Value    string // with Election: the candidate's value
}

// Acquisition is one held lock as an Adapter sees it. Hold wraps it.
// All methods are safe for concurrent use.
type Acquisition interface {
	// Key is the backend's key for this acquisition; unique among live
	// acquisitions.
	Key() string
	// Token is the fencing token: strictly greater than the token of any
	// earlier holder of the same id.
	Token() int64
	// Expires is when Done closes unless the hold is refreshed or renewed.
	// It never lies late: the backend cannot let anyone else in before it.
	Expires() time.Time
	// Done is closed when the acquisition ends, by Release or by a loss.
	// When the TTL runs out or the lease cannot be renewed, it closes
	// before anyone else can acquire the lock. When the key or lease is
	// removed from outside (an operator), the backend frees the lock at
	// once and Done closes as soon as the adapter hears of it.
	Done() <-chan struct{}
	// Err is nil while held, wraps ErrLockLost after a loss, and is
	// ErrReleased after Release.
	Err() error
	// Refresh starts the TTL again from now. Lost: an error wrapping
	// ErrLockLost; released: ErrReleased.
	Refresh(ctx context.Context) error
	// SetValue replaces the value of an Election request's key, fenced:
	// it writes only while this acquisition still holds (or waits with)
	// its key, and writes nothing once it has ended. Lost: an error
	// wrapping ErrLockLost; released: ErrReleased. For other requests it
	// returns an error wrapping ErrInvalid.
	SetValue(ctx context.Context, value string) error
	// Release ends the acquisition and removes its key. BrokerLock calls
	// it at most once. It returns nil, an error wrapping ErrLockLost when
	// the acquisition had already been lost, or the transport error when
	// the backend could not be reached; in that last case the acquisition
	// has ended all the same (Done is closed) and the adapter keeps
	// removing the key in the background until it succeeds or Close runs.
	// It works even when ctx is already done.
	Release(ctx context.Context) error
}
