package etcdadapter

import (
	"context"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// monitor watches over one acquisition from its put to its end, waiting
// or holding: it ends it as lost when the key is deleted (operator, lease
// revoked or expired), when the lease dies, or when the hard TTL passes,
// and on Close. It returns as soon as the acquisition has ended.
func (q *acquisition) monitor() {
	ctx, cancel := context.WithCancel(q.a.ctx)
	defer cancel()
	wch := q.watchOwnKey(ctx, q.rev+1)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-q.state.Done():
			return
		case <-q.a.ctx.Done():
			q.lose(brokerlock.ErrClosed)
		case <-q.l.dead:
			q.lose(q.l.err())
		case <-q.reset:
			timer.Reset(time.Until(q.Expires()))
		case <-timer.C:
			q.checkDeadline(timer)
		case resp, ok := <-wch:
			wch = q.onWatch(ctx, resp, ok, wch)
		}
	}
}

func (q *acquisition) watchOwnKey(ctx context.Context, rev int64) clientv3.WatchChan {
	return q.a.client.Watch(ctx, q.key, clientv3.WithRev(rev), clientv3.WithFilterPut())
}

// checkDeadline ends a hard-TTL hold whose deadline passed; a Refresh may
// have moved it meanwhile.
func (q *acquisition) checkDeadline(timer *time.Timer) {
	if left := time.Until(q.Expires()); left > 0 {
		timer.Reset(left)
		return
	}
	q.lose(errTTL)
}

// onWatch handles one watch response. A delete of the key is a loss. A
// watch that broke (compaction, a server error) is re-established after
// reading the key again, so no delete goes unseen.
func (q *acquisition) onWatch(ctx context.Context, resp clientv3.WatchResponse, ok bool, wch clientv3.WatchChan) clientv3.WatchChan {
	if ok && resp.Err() == nil {
		for _, ev := range resp.Events {
			if ev.Type == mvccpb.DELETE {
				q.lose(errKeyDeleted)
			}
		}
		return wch
	}
	if ctx.Err() != nil {
		return nil // the adapter is closing; the ctx case ends us
	}
	return q.rewatch(ctx)
}

// rewatch reads the key and watches it again from that read.
func (q *acquisition) rewatch(ctx context.Context) clientv3.WatchChan {
	rctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	resp, err := q.a.client.Get(rctx, q.key)
	switch {
	case err != nil:
		q.lose(err)
		return nil
	case len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != q.rev:
		q.lose(errKeyDeleted)
		return nil
	}
	return q.watchOwnKey(ctx, resp.Header.Revision+1)
}
