package etcdadapter

import (
	"context"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// monitor watches over one acquisition from its put to its end, waiting
// or holding: it ends it as lost when the key is deleted (operator, lease
// revoked or expired), when the lease dies, or when the hard TTL passes,
// and on Close. It never blocks on an RPC, so a lease death or the TTL is
// acted on at once, and it returns as soon as the acquisition has ended.
//
// The watch on its own key starts ownWatchDelay after the put, from the
// put's revision on, so a short hold costs no watch at all and a delete
// in between is still seen (replayed from etcd's history, within about
// 100ms more). It is created on another goroutine: clientv3's Watch waits
// for the server to confirm it, which a silent connection never does, and
// the loop must be running then.
func (q *acquisition) monitor() {
	var rewatches sync.WaitGroup
	defer rewatches.Wait()
	ctx, cancel := context.WithCancel(q.a.ctx)
	defer cancel()
	var wch clientv3.WatchChan // nil until rewatched delivers one
	rewatched := make(chan clientv3.WatchChan, 1)
	startWatch := time.NewTimer(ownWatchDelay)
	defer startWatch.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-q.state.Done():
			return
		case <-startWatch.C:
			rewatches.Go(func() { rewatched <- q.watchOwnKey(ctx, q.rev+1) })
		case <-q.a.ctx.Done():
			q.lose(brokerlock.ErrClosed)
		case <-q.l.dead:
			q.lose(q.l.err())
		case <-q.reset:
			timer.Reset(time.Until(q.hardDeadline()))
		case <-timer.C:
			q.checkDeadline(timer)
		case wch = <-rewatched:
		case resp, ok := <-wch:
			if !q.onWatch(resp, ok) {
				wch = nil
				rewatches.Go(func() { q.rewatch(ctx, rewatched) })
			}
		}
	}
}

// ownWatchDelay is how long a hold lasts before its own key is watched.
const ownWatchDelay = 20 * time.Millisecond

func (q *acquisition) watchOwnKey(ctx context.Context, rev int64) clientv3.WatchChan {
	return q.a.client.Watch(ctx, q.key, clientv3.WithRev(rev), clientv3.WithFilterPut())
}

// checkDeadline ends a hard-TTL hold whose deadline passed; a Refresh may
// have moved it meanwhile.
func (q *acquisition) checkDeadline(timer *time.Timer) {
	if left := time.Until(q.hardDeadline()); left > 0 {
		timer.Reset(left)
		return
	}
	q.lose(errTTL)
}

// onWatch handles one watch response: a delete of the key is a loss. It
// returns false when the watch broke (compaction, a server error, the
// client closed).
func (q *acquisition) onWatch(resp clientv3.WatchResponse, ok bool) bool {
	if !ok || resp.Err() != nil {
		return false
	}
	for _, ev := range resp.Events {
		if ev.Type == mvccpb.DELETE {
			q.lose(errKeyDeleted)
		}
	}
	return true
}

// rewatch reads the key and watches it again from that read, so no delete
// goes unseen; a key that is gone is a loss. Reads that fail are retried
// until they work or the lease dies (which ends the acquisition anyway).
func (q *acquisition) rewatch(ctx context.Context, rewatched chan<- clientv3.WatchChan) {
	for backoff := retryInterval; ctx.Err() == nil; backoff = min(2*backoff, 2*time.Second) {
		rctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
		resp, err := q.a.client.Get(rctx, q.key)
		cancel()
		switch {
		case err == nil && (len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != q.rev):
			q.lose(errKeyDeleted)
			return
		case err == nil:
			rewatched <- q.watchOwnKey(ctx, resp.Header.Revision+1)
			return
		}
		select {
		case <-ctx.Done():
		case <-q.l.dead:
			return
		case <-time.After(backoff):
		}
	}
}
