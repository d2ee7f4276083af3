package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/holdstate"
)

// acquisition is one key under a lock's prefix, from the put that queues
// it to the delete that removes it. Whoever ends its state (Release, the
// caller giving up, or monitor noticing a loss) removes the key.
type acquisition struct {
	a     *Adapter
	l     *lease
	slot  int
	key   string
	pfx   string // the lock's prefix
	req   brokerlock.Request
	rev   int64 // create revision of key: the fencing token; 0 while unknown
	state *holdstate.State

	mu       sync.Mutex
	deadline time.Time     // hard TTL: when the hold ends; zero otherwise
	reset    chan struct{} // buffered: deadline changed
}

var _ brokerlock.Acquisition = (*acquisition)(nil)

// errAbandoned ends an acquisition whose Acquire failed.
var errAbandoned = errors.New("etcdadapter: acquisition abandoned")

func (a *Adapter) newAcquisition(l *lease, id string, req brokerlock.Request) *acquisition {
	pfx := LockPrefix(a.prefix, id)
	slot := l.slots.take()
	return &acquisition{a: a, l: l, slot: slot, key: waiterKey(pfx, int64(l.id), slot), pfx: pfx,
		req: req, state: holdstate.New(), reset: make(chan struct{}, 1)}
}

func (q *acquisition) Key() string           { return q.key }
func (q *acquisition) Token() int64          { return q.rev }
func (q *acquisition) Done() <-chan struct{} { return q.state.Done() }
func (q *acquisition) Err() error            { return q.state.Err() }

// Expires: with KeepAlive, the moment the lease stops being trusted
// unless renewed; with a hard TTL, the hold's deadline.
func (q *acquisition) Expires() time.Time {
	if q.req.KeepAlive {
		return q.l.safeUntil()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.deadline
}

// begin starts the hold: a hard TTL counts from now.
func (q *acquisition) begin() {
	if !q.req.KeepAlive {
		q.setDeadline(time.Now().Add(q.req.TTL))
	}
}

func (q *acquisition) setDeadline(t time.Time) {
	q.mu.Lock()
	q.deadline = t
	q.mu.Unlock()
	q.l.ensure(t)
	select {
	case q.reset <- struct{}{}:
	default:
	}
}

// Refresh confirms the key is still ours, then restarts the TTL: a hard
// deadline moves to now+TTL; a kept-alive lease is renewed now.
func (q *acquisition) Refresh(ctx context.Context) error {
	if err := q.state.Err(); err != nil {
		return err
	}
	if err := q.confirm(ctx); err != nil {
		return err
	}
	if q.req.KeepAlive {
		return q.l.renew(ctx, q.a.client)
	}
	q.setDeadline(time.Now().Add(q.req.TTL))
	return q.state.Err()
}

// confirm reads the key; gone or re-created means lost.
func (q *acquisition) confirm(ctx context.Context) error {
	resp, err := q.a.client.Get(ctx, q.key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != q.rev {
		q.lose(errKeyDeleted)
		return q.state.Err()
	}
	return nil
}

// Release ends the hold and deletes the key, fenced by its revision.
func (q *acquisition) Release(ctx context.Context) error {
	if !q.state.End(brokerlock.ErrReleased) {
		return q.state.Err() // lost: whoever ended it removes the key
	}
	return q.remove(ctx)
}

// abandon ends an acquisition that never became a hold.
func (q *acquisition) abandon(ctx context.Context) {
	if q.state.End(errAbandoned) {
		_ = q.remove(ctx) // a failure leaves the retry running
	}
}

// lose ends the acquisition with ErrLockLost for cause and removes the
// key. On Close the adapter revokes its leases instead.
func (q *acquisition) lose(cause error) {
	err := fmt.Errorf("%w: key %q: %w", brokerlock.ErrLockLost, q.key, cause)
	if q.state.End(err) && !errors.Is(cause, brokerlock.ErrClosed) {
		_ = q.remove(q.a.ctx)
	}
}

var (
	errKeyDeleted = errors.New("key deleted")
	errTTL        = errors.New("TTL passed")
)
