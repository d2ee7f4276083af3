package etcdadapter

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Acquire puts a key for this call under the lock's prefix, on the shared
// lease of its TTL, and holds the lock once that key has the lowest create
// revision. Uncontended this is one txn. Contended, it watches only the
// key just before its own (no thundering herd). Whatever fails, the key
// is removed before Acquire returns (or by a background retry if etcd
// cannot be reached).
func (a *Adapter) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(a.ctx, cancel)() // Close wakes the waiter
	l, err := a.leaseFor(ctx, leaseSeconds(req))
	if err != nil {
		return nil, a.closedOr(err)
	}
	q := a.newAcquisition(l, id, req)
	if err := q.enqueue(ctx); err != nil {
		q.abandon(ctx)
		return nil, a.closedOr(err)
	}
	q.begin()
	return q, nil
}

// enqueue puts the key and waits for its turn.
func (q *acquisition) enqueue(ctx context.Context) error {
	owner, err := q.put(ctx)
	if err != nil {
		return err
	}
	if !q.a.goTracked(q.monitor) {
		return brokerlock.ErrClosed
	}
	switch {
	case owner == q.rev:
		return nil
	case q.req.Try:
		return fmt.Errorf("%w (holder's token %d)", brokerlock.ErrLocked, owner)
	}
	return q.waitTurn(ctx)
}

// put creates the key if absent and reads the holder in the same txn.
// It returns the holder's create revision.
func (q *acquisition) put(ctx context.Context) (owner int64, err error) {
	resp, err := q.a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(q.key), "=", 0)).
		Then(clientv3.OpPut(q.key, "", clientv3.WithLease(q.l.id)),
			clientv3.OpGet(q.pfx, clientv3.WithFirstCreate()...)).
		Commit()
	if err != nil {
		q.markUnknown(err)
		return 0, err
	}
	if !resp.Succeeded {
		q.rev = -1 // not ours: never delete it
		return 0, fmt.Errorf("etcdadapter: key %q exists already (written by someone else under our lease?)", q.key)
	}
	q.rev = resp.Header.Revision
	return resp.Responses[1].GetResponseRange().Kvs[0].CreateRevision, nil
}

// markUnknown: a put whose answer was lost may have been applied; the key
// is then deleted by name. etcd's own refusals wrote nothing.
func (q *acquisition) markUnknown(err error) {
	if !mayPass(err) {
		q.rev = -1
	}
}

func (a *Adapter) closedOr(err error) error {
	if a.isClosed() {
		return fmt.Errorf("%w (%w)", brokerlock.ErrClosed, err)
	}
	return err
}
