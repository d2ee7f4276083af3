package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Acquire puts a key for this call under the lock's prefix, on the shared
// lease of its TTL, and holds the lock once that key has the lowest create
// revision. Uncontended this is one txn. Contended, it watches only the
// key just before its own (no thundering herd). Whatever fails, the key
// is removed before Acquire returns (or by a background retry if etcd
// cannot be reached). If the lease was revoked under it, it tries once
// more on a new one.
func (a *Adapter) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(a.ctx, cancel)() // Close wakes the waiter
	q, err := a.acquireOnce(ctx, id, req)
	if errors.Is(err, errLeaseGone) || errors.Is(err, errLeaseRetired) {
		q, err = a.acquireOnce(ctx, id, req)
	}
	if err != nil {
		return nil, a.closedOr(err)
	}
	return q, nil
}

// acquireOnce queues on one lease. Its RPCs end when that lease dies, so
// a request that a silent connection swallowed does not outlive the place
// in the queue it was for.
func (a *Adapter) acquireOnce(ctx context.Context, id string, req brokerlock.Request) (*acquisition, error) {
	l, err := a.leaseFor(ctx, leaseSeconds(req))
	if err != nil {
		return nil, err
	}
	callerCtx := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(l.deadCtx, cancel)()
	q := a.newAcquisition(l, id, req)
	err = q.enqueue(ctx)
	if err == nil {
		err = q.begin(ctx)
	}
	if err != nil {
		return nil, errors.Join(q.lostOnDeadLease(callerCtx, err), q.abandon(callerCtx))
	}
	return q, nil
}

// lostOnDeadLease turns the cancellation that the lease's death caused
// into the loss it is.
func (q *acquisition) lostOnDeadLease(callerCtx context.Context, err error) error {
	if !q.l.isDead() || callerCtx.Err() != nil || !errors.Is(err, context.Canceled) {
		return err
	}
	q.lose(q.l.err())
	return q.state.Err()
}

// enqueue puts the key and waits for its turn.
func (q *acquisition) enqueue(ctx context.Context) error {
	owner, newest, err := q.put(ctx)
	if err != nil {
		return err
	}
	q.arm()
	switch {
	case owner != nil && owner.CreateRevision == q.rev: // the oldest key holds, whatever its kind
		return nil
	case q.req.Limit > 0:
		if err := q.checkLimit(owner.Key, owner.Value); err != nil {
			return err
		}
	case q.req.Try && !q.req.Shared && owner != nil:
		return fmt.Errorf("%w (holder's token %d)", brokerlock.ErrLocked, owner.CreateRevision)
	case q.req.Try && !q.req.Shared:
		return fmt.Errorf("%w (blocked by %s)", brokerlock.ErrLocked, newest[1].Key)
	}
	var first *watchTarget // what an exclusive waiter watches first, known from the put
	if len(newest) > 1 {
		t := q.exclusiveTarget(newest[1:], q.rev) // newest[0] is q's own key
		first = &t
	}
	if err := q.waitTurn(ctx, q.req.Try, first); err != nil {
		return err
	}
	if !q.req.Election { // an election key holds its value, nothing else
		q.recordAcquiredSoon(time.Now())
	}
	return nil
}

// recordDelay is how long a lock holder that waited holds before it
// records when it took over (for Inspect).
const recordDelay = 100 * time.Millisecond

// recordAcquiredSoon records acquired (recordAcquired): at once for a
// Semaphore permit, whose put tells the waiter behind it that it is now
// the first waiter, and otherwise recordDelay into the hold, if it lasts
// that long: short holds under contention cost no raft write for the sake
// of Inspect. (The timer is not stopped when the hold ends: it finds it
// ended.)
func (q *acquisition) recordAcquiredSoon(acquired time.Time) {
	record := func() {
		if q.state.Err() == nil {
			q.a.goTracked(func() { q.recordAcquired(acquired) })
		}
	}
	if q.req.Limit > 0 {
		record()
		return
	}
	time.AfterFunc(recordDelay, record)
}

// recordAcquired adds the time the wait ended to the key's value, for
// Inspect, in the background: the new holder does not wait for it, and
// the put is fenced, so it never touches a key that is gone or new. For a
// Semaphore permit the put also tells the waiter behind it that it is now
// the first waiter (see waitTurn), so it is retried until it is answered,
// within cleanupTimeout.
func (q *acquisition) recordAcquired(acquired time.Time) {
	ctx, cancel := context.WithTimeout(q.a.ctx, cleanupTimeout)
	defer cancel()
	_ = attempts(ctx, requestTimeout, func(ctx context.Context) error {
		_, err := q.a.client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(q.key), "=", q.rev)).
			Then(clientv3.OpPut(q.key, q.encodeValue(time.Unix(0, q.queued), acquired), clientv3.WithLease(q.l.id))).
			Commit()
		return err
	}) // best effort: Inspect falls back to the queue time
}

// firstCreate reads the oldest key of a range: the holder.
var firstCreate = clientv3.WithFirstCreate()

// newestKeys reads at most limit keys of a lock, newest first (an
// exclusive put: its own and up to rangeAhead+1 ahead of it; a waiter's
// read, with olderThan: up to rangeAhead+1 ahead of it).
func newestKeys(limit int64, opts ...clientv3.OpOption) []clientv3.OpOption {
	return append([]clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend), clientv3.WithLimit(limit)}, opts...)
}

// put creates the key if absent and reads, in the same txn, the oldest
// key (the first holder), which it returns. An exclusive request reads the
// newest keys instead (newest: its own first, then those just ahead of
// it, exclusiveTarget), so that a waiter knows what to watch without a
// read; the oldest is the last of them when they are all there, and
// unknown (nil) otherwise, when there are more than rangeAhead+1 keys
// ahead and ours cannot hold anyway.
func (q *acquisition) put(ctx context.Context) (owner *mvccpb.KeyValue, newest []*mvccpb.KeyValue, err error) {
	if ctx.Err() != nil {
		q.rev = -1 // never sent
		return nil, nil, ctx.Err()
	}
	q.queued = time.Now().UnixNano()
	exclusive := q.req.Limit == 0 && !q.req.Shared
	read := clientv3.OpGet(q.pfx(), firstCreate...)
	if exclusive {
		read = clientv3.OpGet(q.pfx(), newestKeys(rangeAhead+2)...)
	}
	value := q.initialValue()
	resp, err := q.a.batch.commit(ctx, q.pfx(), len(q.key)+len(value), clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(q.key), "=", 0)},
		[]clientv3.Op{clientv3.OpPut(q.key, value, clientv3.WithLease(q.l.id)), read}, nil))
	if errors.Is(err, errNotSent) {
		q.rev = -1
		return nil, nil, ctx.Err()
	}
	if err != nil {
		return nil, nil, q.putFailed(err)
	}
	if !resp.Succeeded { // a late put of ours, whose slot is retired: remove it
		return nil, nil, fmt.Errorf("etcdadapter: key %q exists already", q.key)
	}
	q.rev = resp.Header.Revision
	kvs := resp.Responses[1].GetResponseRange().Kvs
	switch {
	case !exclusive:
		return kvs[0], nil, nil
	case len(kvs) < rangeAhead+2:
		return kvs[len(kvs)-1], kvs, nil
	}
	return nil, kvs, nil
}

// putFailed sorts a failed put: etcd's own refusals wrote nothing; a put
// whose answer was lost may have been applied, now or later (rev stays 0:
// the key is then looked for and removed, its name never reused, and its
// lease retired). A lease the server no longer has dies, so the retry
// takes a new one.
func (q *acquisition) putFailed(err error) error {
	if !mayPass(err) {
		q.rev = -1
	} else {
		q.l.retire()
	}
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		q.l.kill(fmt.Errorf("lease %x: %w", q.l.id, errLeaseGone))
		return fmt.Errorf("%w: %w", errLeaseGone, err)
	}
	return fmt.Errorf("etcdadapter: put %q: %w", q.key, err)
}

func (a *Adapter) closedOr(err error) error {
	if a.isClosed() {
		return brokerlock.ErrClosed // as memadapter says it; err is Close's cancellation
	}
	return denied(err)
}

// denied marks etcd's refusals for lack of permission or authentication
// with brokerlock.ErrPermission (etcd's error stays matchable).
func denied(err error) error {
	switch errorCode(err) {
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("%w: %w", brokerlock.ErrPermission, err)
	}
	return err
}
