package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/holdstate"
)

// acquisition is one key under a lock's prefix, from the put that queues
// it to the delete that removes it. Whoever ends its state (Release, the
// caller giving up, or the lease, timer or watch noticing a loss) removes
// the key (see monitor.go).
//
// A client may hold many (BenchmarkHeld10000Apart), so it keeps to what
// each needs: the lock's prefix is a part of key, the queue time is in
// Unix nanoseconds, and only a hard-TTL hold has a deadline and a timer.
type acquisition struct {
	a      *Adapter
	l      *lease
	id     string
	slot   int
	key    string // the lock's prefix, then the lease and slot (waiterKey)
	req    brokerlock.Request
	rev    int64 // create revision of key: the fencing token; 0 while unknown
	queued int64 // when the put was sent, in Unix nanoseconds
	state  holdstate.State

	mu      sync.Mutex
	hard    *hardTTL // nil until a hard-TTL hold begins
	watchID int64    // of key's watch (ownkeys.go); 0 before it starts
}

// hardTTL is when a hard-TTL hold ends, and the timer that ends it.
type hardTTL struct {
	deadline time.Time
	timer    *time.Timer
}

var _ brokerlock.Acquisition = (*acquisition)(nil)

// errAbandoned ends an acquisition whose Acquire failed.
var errAbandoned = errors.New("etcdadapter: acquisition abandoned")

func (a *Adapter) newAcquisition(l *lease, id string, req brokerlock.Request) *acquisition {
	pfx := LockPrefix(a.prefix, id)
	slot := l.slots.take()
	return &acquisition{a: a, l: l, id: id, slot: slot, key: waiterKey(pfx, int64(l.id), slot), req: req}
}

func (q *acquisition) Key() string { return q.key }

// pfx is the lock's prefix: key up to its last slash.
func (q *acquisition) pfx() string           { return q.key[:strings.LastIndexByte(q.key, '/')+1] }
func (q *acquisition) Token() int64          { return q.rev }
func (q *acquisition) Done() <-chan struct{} { return q.state.Done() }
func (q *acquisition) Err() error            { return q.state.Err() }

// Expires is the earlier of the hard-TTL deadline (if any) and the moment
// the lease stops being trusted unless renewed.
func (q *acquisition) Expires() time.Time {
	safe := q.l.safeUntil()
	if q.req.KeepAlive {
		return safe
	}
	return minTime(q.hardDeadline(), safe)
}

func (q *acquisition) hardDeadline() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.hard == nil {
		return time.Time{}
	}
	return q.hard.deadline
}

// begin starts the hold: a hard TTL counts from now. It fails when the
// acquisition was lost on the way.
func (q *acquisition) begin(ctx context.Context) error {
	if !q.req.KeepAlive {
		q.setDeadline(ctx, time.Now().Add(q.req.TTL))
	}
	return q.state.Err()
}

// setDeadline moves the hard-TTL deadline to t and makes the lease
// trusted until then (a renewal, when the last one is too old). If that
// renewal fails, Expires says so and the lease's own loop decides.
func (q *acquisition) setDeadline(ctx context.Context, t time.Time) {
	q.mu.Lock()
	if q.state.Err() == nil {
		q.armDeadlineLocked(t)
	}
	q.mu.Unlock()
	_ = q.l.trustUntil(ctx, q.a.client, t)
}

// Refresh confirms the key is still ours, then restarts the TTL: a hard
// deadline moves to now+TTL; a kept-alive lease is renewed now.
func (q *acquisition) Refresh(ctx context.Context) error {
	if err := q.state.Err(); err != nil {
		return err
	}
	ctx, stop := q.boundedByHold(ctx)
	defer stop()
	if _, err := q.confirm(ctx); err != nil {
		return q.lostOr(err)
	}
	if q.req.KeepAlive {
		return q.lostOr(q.l.renew(ctx, q.a.client))
	}
	q.setDeadline(ctx, time.Now().Add(q.req.TTL))
	return q.state.Err()
}

// boundedByHold cancels ctx when the acquisition ends or its lease stops
// being trusted: no call on a hold outlives it.
func (q *acquisition) boundedByHold(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithDeadline(ctx, q.l.safeUntil())
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-q.state.Done():
			cancel()
		case <-ctx.Done():
		}
	})
	return ctx, func() { cancel(); wg.Wait() }
}

// lostOr prefers the loss to err, once the acquisition has ended or its
// lease is gone.
func (q *acquisition) lostOr(err error) error {
	switch {
	case errors.Is(err, errLeaseGone) || errors.Is(err, rpctypes.ErrLeaseNotFound):
		q.lose(errLeaseGone)
	case err != nil && !time.Now().Before(q.l.safeUntil()):
		q.lose(errNotRenewed) // the lease's own loop is about to say so
	}
	if lost := q.state.Err(); lost != nil {
		return lost
	}
	return err
}

// confirm reads the key and returns the read's revision; gone or
// re-created means lost.
func (q *acquisition) confirm(ctx context.Context) (rev int64, err error) {
	resp, err := q.a.client.Get(ctx, q.key)
	if err != nil {
		return 0, err
	}
	if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != q.rev {
		q.lose(errKeyDeleted)
		return 0, q.state.Err()
	}
	return resp.Header.Revision, nil
}

// Release ends the hold and deletes the key, fenced by its revision.
func (q *acquisition) Release(ctx context.Context) error {
	if !q.end(brokerlock.ErrReleased) {
		return q.state.Err() // lost: whoever ended it removes the key
	}
	return q.remove(ctx)
}

// abandon ends an acquisition that never became a hold and removes its
// key. It returns an error only when the key stays behind for good (a
// failure that may pass leaves a background retry running).
func (q *acquisition) abandon(ctx context.Context) error {
	if !q.end(errAbandoned) {
		return nil // lost meanwhile: lose removes the key
	}
	if q.l.isDead() {
		return nil // the key goes with its lease (revokeDead, or it expires)
	}
	if err := q.remove(ctx); err != nil && !mayPass(err) {
		return fmt.Errorf("etcdadapter: key %q left behind: %w", q.key, err)
	}
	return nil
}

// lose ends the acquisition with ErrLockLost for cause and removes the
// key in the background (on Close the adapter revokes its leases
// instead; a dead lease takes its keys along), so that no caller, timer or
// lease goroutine waits for etcd here.
func (q *acquisition) lose(cause error) {
	err := fmt.Errorf("%w: key %q: %w", brokerlock.ErrLockLost, q.key, cause)
	if !q.end(err) || errors.Is(cause, brokerlock.ErrClosed) {
		return
	}
	q.a.log.Warn("brokerlock: lock lost", "lock", q.id, "key", q.key, "token", q.rev, "cause", cause.Error())
	if !q.l.isDead() { // else the key goes with its lease (revokeDead, or it expires)
		q.a.goTracked(func() { _ = q.removeOn(q.a.ctx) })
	}
}

var (
	errKeyDeleted = errors.New("key deleted")
	errTTL        = errors.New("TTL passed")
	errNotRenewed = errors.New("lease not renewed in time (etcd unreachable?)")
)

// SetValue replaces an election candidate's value in one txn fenced by
// the key's create revision, on the key's lease: it writes only while the
// key is this acquisition's. A key found gone or re-created is a loss.
func (q *acquisition) SetValue(ctx context.Context, value string) error {
	if err := q.state.Err(); err != nil {
		return err
	}
	if !q.req.Election {
		return fmt.Errorf("etcdadapter: set value of %q: %w: not an election's key", q.key, brokerlock.ErrInvalid)
	}
	ctx, stop := q.boundedByHold(ctx)
	defer stop()
	resp, err := q.a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(q.key), "=", q.rev)).
		Then(clientv3.OpPut(q.key, value, clientv3.WithLease(q.l.id))).
		Commit()
	if err != nil {
		return q.lostOr(denied(fmt.Errorf("etcdadapter: put %q: %w", q.key, err)))
	}
	if !resp.Succeeded {
		q.lose(errKeyDeleted)
		return q.state.Err()
	}
	return nil
}
