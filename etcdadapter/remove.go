package etcdadapter

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// remove deletes the key on a context of its own, bounded by
// cleanupTimeout, so that it works when ctx is done already. If that
// fails for a reason that may pass, a background retry takes over until
// it succeeds or the adapter closes (Close revokes the lease, which
// deletes the key too). The slot is reused only once the key is gone.
func (q *acquisition) remove(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if q.rev < 0 {
		q.l.slots.put(q.slot)
		return nil // the put wrote nothing
	}
	err := q.deleteKey(dctx)
	switch {
	case err == nil:
		q.l.slots.put(q.slot)
	case mayPass(err):
		q.a.goTracked(q.retryRemove)
	}
	return err
}

// deleteKey deletes the key only at its own create revision, so a late or
// retried delete never frees a newer holder; when the put's outcome is
// unknown (rev 0), the key is ours by name: no one else writes under our
// lease.
func (q *acquisition) deleteKey(ctx context.Context) error {
	if q.rev == 0 {
		_, err := q.a.client.Delete(ctx, q.key)
		return err
	}
	_, err := q.a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(q.key), "=", q.rev)).
		Then(clientv3.OpDelete(q.key)).Commit()
	return err
}

// retryRemove retries deleteKey with backoff until it succeeds, fails for
// good, or the adapter closes.
func (q *acquisition) retryRemove() {
	timer := time.NewTimer(100 * time.Millisecond)
	defer timer.Stop()
	for backoff := 200 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		select {
		case <-q.a.ctx.Done():
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(q.a.ctx, cleanupTimeout)
		err := q.deleteKey(ctx)
		cancel()
		if err == nil {
			q.l.slots.put(q.slot)
		}
		if !mayPass(err) {
			return
		}
		timer.Reset(backoff)
	}
}

// mayPass: the request may not have reached etcd, or etcd was
// unavailable; trying again can work. Permission denied, too large and
// other answers from etcd are final.
func mayPass(err error) bool {
	if err == nil {
		return false
	}
	switch errorCode(err) {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated,
		codes.ResourceExhausted, codes.FailedPrecondition, codes.OutOfRange, codes.NotFound:
		return false
	}
	return true
}

// errorCode is the gRPC code of err, also when clientv3 turned it into an
// rpctypes.EtcdError.
func errorCode(err error) codes.Code {
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return etcdErr.Code()
	}
	return status.Code(err)
}
