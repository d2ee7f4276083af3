package etcdadapter

import (
	"context"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// An acquisition, waiting or holding, ends as lost when its lease dies
// (the lease tells each of its acquisitions: see lease.kill; Close kills
// every lease), when the hard TTL passes (a timer), and when its key is
// deleted (a watch). None of these needs a goroutine of the acquisition's
// own until the watch starts, ownWatchDelay after the put: a short hold
// costs no goroutine and no watch. The watch starts from the put's
// revision, so a delete in between is still seen (replayed from etcd's
// history, within about 100ms more).

// ownWatchDelay is how long an acquisition lasts before its own key is
// watched.
const ownWatchDelay = 20 * time.Millisecond

// arm starts watching over q once its put succeeded.
func (q *acquisition) arm() {
	q.mu.Lock()
	q.watchTimer = time.AfterFunc(ownWatchDelay, q.startWatch)
	q.mu.Unlock()
	q.l.join(q)
}

// startWatch starts watchLoop unless q has ended; end stops it.
func (q *acquisition) startWatch() {
	q.mu.Lock()
	if q.state.Err() != nil {
		q.mu.Unlock()
		return
	}
	q.watchCtx, q.stopWatch = context.WithCancel(q.a.ctx)
	q.mu.Unlock()
	q.a.goTracked(q.watchLoop)
}

// end ends q's state with err and stops what watches over it; false when
// it had ended already.
func (q *acquisition) end(err error) bool {
	if !q.state.End(err) {
		return false
	}
	q.mu.Lock()
	for _, t := range []*time.Timer{q.watchTimer, q.ttlTimer} {
		if t != nil {
			t.Stop()
		}
	}
	if q.stopWatch != nil {
		q.stopWatch()
	}
	q.mu.Unlock()
	q.l.leave(q)
	return true
}

// armDeadlineLocked (q.mu held) ends a hard-TTL hold at q.deadline.
func (q *acquisition) armDeadlineLocked() {
	d := time.Until(q.deadline)
	if q.ttlTimer == nil {
		q.ttlTimer = time.AfterFunc(d, q.checkDeadline)
		return
	}
	q.ttlTimer.Reset(d)
}

// checkDeadline ends a hard-TTL hold whose deadline passed; a Refresh may
// have moved it meanwhile.
func (q *acquisition) checkDeadline() {
	q.mu.Lock()
	left := time.Until(q.deadline)
	if left > 0 && q.state.Err() == nil {
		q.ttlTimer.Reset(left)
	}
	q.mu.Unlock()
	if left <= 0 {
		q.lose(errTTL)
	}
}

// watchLoop watches q's key until q ends: a delete is a loss. A broken
// watch (compaction, a server error) is restarted from a fresh read.
func (q *acquisition) watchLoop() {
	q.mu.Lock()
	ctx := q.watchCtx
	q.mu.Unlock()
	wch := q.watchOwnKey(ctx, q.rev+1)
	for {
		select {
		case <-ctx.Done():
			return
		case resp, ok := <-wch:
			if q.onWatch(resp, ok) {
				continue
			}
			if wch = q.rewatch(ctx); wch == nil {
				return
			}
		}
	}
}

func (q *acquisition) watchOwnKey(ctx context.Context, rev int64) clientv3.WatchChan {
	return q.a.client.Watch(ctx, q.key, clientv3.WithRev(rev), clientv3.WithFilterPut())
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
// goes unseen; a key that is gone is a loss (nil). Reads that fail are
// retried until they work or q ends (nil).
func (q *acquisition) rewatch(ctx context.Context) clientv3.WatchChan {
	for backoff := retryInterval; ; backoff = min(2*backoff, 2*time.Second) {
		rctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
		resp, err := q.a.client.Get(rctx, q.key)
		cancel()
		switch {
		case err == nil && (len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != q.rev):
			q.lose(errKeyDeleted)
			return nil
		case err == nil:
			return q.watchOwnKey(ctx, resp.Header.Revision+1)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}
