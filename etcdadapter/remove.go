package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// remove deletes the key on a context of its own, bounded by
// cleanupTimeout, so that it works when ctx is done already.
func (q *acquisition) remove(ctx context.Context) error {
	return q.removeOn(context.WithoutCancel(ctx))
}

// removeOn deletes the key within cleanupTimeout of ctx. If that fails for
// a reason that may pass, a background retry takes over until it succeeds
// or the adapter closes (Close revokes the lease, which deletes the key
// too).
//
// No delete can remove anyone else's key. The key's name (lease and slot)
// is this acquisition's alone: no other process has the lease, and the
// slot is reused only once a delete of it was answered with no other
// delete or put of it still unanswered. So the first delete is a plain
// one, which etcd applies faster than a conditional txn. Once a request's
// outcome is unknown (it may still arrive late), the name is retired for
// good, and retries are fenced by the key's create revision as well.
func (q *acquisition) removeOn(ctx context.Context) error {
	deadline := time.Now().Add(cleanupTimeout)
	switch {
	case q.rev < 0:
		q.l.slots.put(q.slot) // the put wrote nothing
		return nil
	case q.rev == 0:
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		found, err := q.deleteIfPresent(ctx)
		if !found || err != nil { // not applied yet (it may be later), or not deleted
			q.a.goTracked(q.sweepLatePut)
		}
		return err
	}
	err := q.deleteOnce(ctx) // bounded by requestTimeout < cleanupTimeout
	switch {
	case err == nil:
		q.l.slots.put(q.slot)
		return nil
	case !mayPass(err): // refused: nothing deleted
		q.logLeftBehind(err)
		return err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	err = q.deleteFenced(ctx, q.rev) // the slot stays retired
	switch {
	case err == nil:
	case mayPass(err):
		q.a.log.Warn("brokerlock: key not removed; retrying in the background", "key", q.key, "error", err.Error())
		q.a.goTracked(q.retryRemove)
	default:
		q.logLeftBehind(err)
	}
	return err
}

// deleteOnce sends one plain delete of the key.
func (q *acquisition) deleteOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err := q.a.batch.commit(ctx, q.pfx(), len(q.key), clientv3.OpDelete(q.key))
	return err
}

// deleteFenced deletes the key only at create revision rev, retrying
// within ctx.
func (q *acquisition) deleteFenced(ctx context.Context, rev int64) error {
	return attempts(ctx, requestTimeout, func(ctx context.Context) error {
		_, err := q.a.client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(q.key), "=", rev)).
			Then(clientv3.OpDelete(q.key)).Commit()
		return err
	})
}

// deleteIfPresent deletes the key if our lease holds it: a put whose
// answer was lost may have been applied. The slot is never reused, so the
// name is ours alone. found: the put was applied (it cannot be again).
func (q *acquisition) deleteIfPresent(ctx context.Context) (found bool, err error) {
	var resp *clientv3.GetResponse
	err = attempts(ctx, requestTimeout, func(ctx context.Context) (err error) {
		resp, err = q.a.client.Get(ctx, q.key)
		return err
	})
	if err != nil || len(resp.Kvs) == 0 || resp.Kvs[0].Lease != int64(q.l.id) {
		return false, err
	}
	return true, q.deleteFenced(ctx, resp.Kvs[0].CreateRevision)
}

// sweepDelays are when sweepLatePut looks again: a put is usually
// applied, if at all, within etcd's own request timeout (about 7s with the
// default election timeout) after it reached a member; then every
// sweepEvery, for a put held up longer on its way.
var sweepDelays = []time.Duration{time.Second, 4 * time.Second, 10 * time.Second}

const sweepEvery = 30 * time.Second

// sweepLatePut deletes the key if a put with a lost answer arrives late,
// for as long as its lease lives: the lease is retired, so it dies with
// its last acquisition, and a put after that fails.
func (q *acquisition) sweepLatePut() {
	for i := 0; ; i++ {
		d := sweepEvery
		if i < len(sweepDelays) {
			d = sweepDelays[i]
		}
		select {
		case <-q.a.ctx.Done():
			return
		case <-q.l.dead:
			return // a late put fails now, or went with the revoke
		case <-time.After(d):
		}
		ctx, cancel := context.WithTimeout(q.a.ctx, cleanupTimeout)
		found, err := q.deleteIfPresent(ctx)
		cancel()
		if found && err == nil {
			return // it landed and is gone; it cannot land twice
		}
	}
}

// retryRemove retries the fenced delete with backoff until it succeeds,
// fails for good, or the adapter closes.
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
		err := q.deleteFenced(ctx, q.rev)
		cancel()
		switch {
		case err == nil:
			q.a.log.Info("brokerlock: key removed after retries", "key", q.key)
			return
		case !mayPass(err):
			q.logLeftBehind(err)
			return
		}
		timer.Reset(backoff)
	}
}

// logLeftBehind reports a key that could not be removed for good; its
// lease takes it along when it expires or Close revokes it.
func (q *acquisition) logLeftBehind(err error) {
	q.a.log.Error("brokerlock: key left behind until its lease ends", "key", q.key,
		"lease", fmt.Sprintf("%x", int64(q.l.id)), "error", err.Error())
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
