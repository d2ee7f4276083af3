package brokerlock

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Inspector is implemented by adapters that can say who holds a lock and
// who waits for it; etcdadapter and memadapter do. Item.Inspect uses it.
type Inspector interface {
	// Inspect returns a snapshot of lock id: its holder and its waiters in
	// queue order, as the backend stores them now. It changes nothing.
	// Errors: ctx's, the transport's, ErrClosed.
	Inspect(ctx context.Context, id string) (LockInfo, error)
}

// LockInfo is a snapshot of one lock.
type LockInfo struct {
	ID     string
	Holder *Entry // the first of Holders; nil when nobody holds the lock
	// Holders is every current holder, oldest first: an Item, a writer or
	// an Election's leader is the only one; Holder == &Holders[0].
	Holders []Entry
	Waiters []Entry // in queue order: the next holder first
}

// SetHolders sets Holders to holders and Holder to the first of them (nil
// when there is none), so that the two always agree. Adapters call it.
func (info *LockInfo) SetHolders(holders ...Entry) {
	info.Holders, info.Holder = holders, nil
	if len(holders) > 0 {
		info.Holder = &info.Holders[0]
	}
}

// Entry is one holder or waiter of a lock, as its key's value describes
// it. Keys written by other clients (etcd's concurrency.Mutex, `etcdctl
// lock`) carry no description: then only Key, Token and what the backend
// knows by itself (the lease's TTL and expiry) are set.
type Entry struct {
	Key string
	// Token is the fencing token it has, or will have once it holds (etcd);
	// 0 for a waiter of a backend that assigns tokens on grant (memadapter).
	Token int64
	// Identity names the process: the adapter's identity option, by
	// default "hostname/pid"; "" when unknown.
	Identity  string
	Label     string        // Options.Label of its Item
	TTL       time.Duration // Options.TTL (for keys of other clients: the lease's TTL); 0 when unknown
	KeepAlive bool          // Options.KeepAlive
	QueuedAt  time.Time     // when it joined the queue; zero when unknown
	// AcquiredAt is when it became the holder; zero for waiters and when
	// unknown. A holder that waited records it a moment after it took
	// over (etcd: 100ms, if it still holds then); until then it reports
	// QueuedAt.
	AcquiredAt time.Time
	// Expires is when the backend frees the key unless it is renewed or
	// released: the lease's expiry for etcd. Zero when unknown.
	Expires time.Time
	// Shared: an RWLock reader.
	Shared bool
	// Limit: a Semaphore's holder or waiter: the limit it asked for; 0
	// otherwise.
	Limit int
	// Value: an Election's leader or candidate: its value. For etcd, the
	// value of every key that does not hold brokerlock's description of a
	// lock (keys of `etcdctl elect` and concurrency.Election too).
	Value string
}

// Inspect returns who holds the lock and who waits for it, from any
// process. It fails with an error wrapping errors.ErrUnsupported when the
// adapter is not an Inspector.
func (it *Item) Inspect(ctx context.Context) (LockInfo, error) {
	if it.invalid != nil {
		return LockInfo{}, it.invalid
	}
	return inspect(ctx, it.adapter, "lock", it.id)
}

// inspect asks adapter about id, naming it as what ("lock", "election")
// in errors.
func inspect(ctx context.Context, adapter Adapter, what, id string) (LockInfo, error) {
	in, ok := adapter.(Inspector)
	if !ok {
		return LockInfo{}, callErr(fmt.Errorf("adapter %T: %w", adapter, errors.ErrUnsupported), "%s %q: inspect", what, id)
	}
	info, err := in.Inspect(ctx, id)
	if err != nil {
		return LockInfo{}, callErr(err, "%s %q: inspect", what, id)
	}
	return info, nil
}
