package etcdadapter

import (
	"context"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// waitTurn waits until the acquisition's admission rule lets it hold: no
// key older than its own (a lock, a writer, an election candidate), fewer
// than Limit older keys (a Semaphore permit), or no older writer's key (an
// RWLock reader). It reads what blocks it, watches only that, from the
// current revision (a watch from an older revision would wait for etcd's
// catch-up loop), and reads again after the watch starts, so a change
// between read and watch is not missed, unless the watch started at or
// before the revision of the read (as the header of its creation says):
// then it misses nothing, and under contention that read is saved on
// most waits. With try it fails with ErrLocked
// instead of waiting. first, if not nil, is what to watch first, known
// from the put: no read before the watch.
//
// What a waiter watches, so that a release wakes O(1) waiters:
//   - exclusive, at most rangeAhead keys ahead: all of them and its own
//     key, in one watch of the range they span (awaitAhead);
//   - exclusive, more keys ahead: the key just before its own, for its
//     delete;
//   - Semaphore, Limit keys ahead (the first waiter): the lock's prefix,
//     for deletes (any holder's release admits it);
//   - Semaphore, more keys ahead: the key just before its own, for its
//     delete or its put: a waiter that is admitted writes its key
//     (recordAcquired), which makes the one behind it the first waiter.
//     If that put is lost (etcd unreachable for cleanupTimeout), the one
//     behind learns that it is first only when the key ahead of it goes:
//     a delay, never a wrong count;
//   - RWLock reader: the nearest writer's key ahead, for its delete.
func (q *acquisition) waitTurn(ctx context.Context, try bool, first *watchTarget) error {
	var w keyWatch
	defer w.stop()
	for {
		target, err := q.nextTarget(ctx, &first)
		switch {
		case err != nil || target.key == "":
			return err
		case try:
			return fmt.Errorf("%w (blocked by %s)", brokerlock.ErrLocked, target.blockedBy())
		case !w.target.covers(target):
			w.begin(q, target)
		}
		if !w.created {
			if err := w.confirm(ctx, q); err != nil {
				return err
			}
			if !w.seesAllAfter(target.at) {
				continue // a change between the read and the watch: read again
			}
		}
		if held, err := q.awaitTarget(ctx, &w, target); held || err != nil {
			return err
		}
	}
}

// nextTarget is *first, once, then what blocker reads.
func (q *acquisition) nextTarget(ctx context.Context, first **watchTarget) (watchTarget, error) {
	if t := *first; t != nil {
		*first = nil
		return *t, nil
	}
	return q.blocker(ctx)
}

// watchTarget is what a waiter watches: one key, the lock's prefix, or a
// range of it, for deletes (and puts, with puts).
type watchTarget struct {
	key    string // "" when nothing blocks
	end    string // a range's end; "" for one key or the prefix
	prefix bool
	puts   bool
	ahead  []keyAt // with a range: every key ahead, newest first
	at     int64   // the revision it was read at
}

// keyAt is a key and its create revision.
type keyAt struct {
	key string
	rev int64
}

// blockedBy names the key just ahead.
func (t watchTarget) blockedBy() string {
	if len(t.ahead) > 0 {
		return t.ahead[0].key
	}
	return t.key
}

// covers: a watch of t serves a waiter whose target is u (a range watch
// serves any range inside it: the keys ahead only go away).
func (t watchTarget) covers(u watchTarget) bool {
	if t.end != "" && u.end != "" {
		return t.key <= u.key && u.end <= t.end && t.puts == u.puts
	}
	return t.key == u.key && t.end == u.end && t.prefix == u.prefix && t.puts == u.puts
}

// blocker returns what keeps the acquisition from holding now; the zero
// target when nothing does. It fails with ErrLockLost if its key is gone.
func (q *acquisition) blocker(ctx context.Context) (watchTarget, error) {
	switch {
	case q.req.Limit > 0:
		return q.permitBlocker(ctx)
	case q.req.Shared:
		return q.readerBlocker(ctx)
	}
	return q.exclusiveBlocker(ctx)
}

// ahead reads, in one txn, ops (ranges over the keys ahead of q's) and
// q's own key, and returns ops' results and the revision they were read
// at; an own key that is gone or re-created is a loss.
func (q *acquisition) ahead(ctx context.Context, ops ...clientv3.Op) ([]*pb.RangeResponse, int64, error) {
	var resp *clientv3.TxnResponse
	err := attempts(ctx, requestTimeout, func(ctx context.Context) (err error) {
		resp, err = q.a.client.Txn(ctx).Then(append(ops, clientv3.OpGet(q.key, clientv3.WithKeysOnly()))...).Commit()
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	ranges := make([]*pb.RangeResponse, len(resp.Responses))
	for i, r := range resp.Responses {
		ranges[i] = r.GetResponseRange()
	}
	if own := ranges[len(ops)].Kvs; len(own) == 0 || own[0].CreateRevision != q.rev {
		q.lose(errKeyDeleted)
		return nil, 0, q.state.Err()
	}
	return ranges[:len(ops)], resp.Header.Revision, nil
}

// olderThan limits a read of the lock's prefix to keys older than q's.
func (q *acquisition) olderThan() clientv3.OpOption { return clientv3.WithMaxCreateRev(q.rev - 1) }

// rangeAhead: a lock's waiter with at most this many keys ahead of its own
// watches all of them and its own key in one watch (awaitAhead), and holds
// as soon as their deletes have all come in: no read after the last one.
// A release then wakes up to rangeAhead waiters, each for one event.
const rangeAhead = 8

// exclusiveBlocker: an exclusive waiter holds when no key is older than
// its own. It reads the newest rangeAhead+1 keys ahead: at most rangeAhead
// are watched together, in one range with its own key; more, the nearest
// alone. ErrLockLost if its own key is gone.
func (q *acquisition) exclusiveBlocker(ctx context.Context) (watchTarget, error) {
	resp, rev, err := q.ahead(ctx, clientv3.OpGet(q.pfx(), newestKeys(rangeAhead+1, q.olderThan())...))
	if err != nil {
		return watchTarget{}, err
	}
	return q.exclusiveTarget(resp[0].Kvs, rev), nil
}

// exclusiveTarget is what an exclusive waiter watches given kvs, the keys
// older than its own read at revision rev, newest first, at most
// rangeAhead+1 of them.
func (q *acquisition) exclusiveTarget(kvs []*mvccpb.KeyValue, rev int64) watchTarget {
	switch {
	case len(kvs) == 0:
		return watchTarget{}
	case len(kvs) > rangeAhead:
		return watchTarget{key: string(kvs[0].Key), at: rev}
	}
	t := watchTarget{key: q.key, end: q.key, at: rev}
	for _, kv := range kvs {
		k := string(kv.Key)
		t.ahead = append(t.ahead, keyAt{k, kv.CreateRevision})
		t.key, t.end = min(t.key, k), max(t.end, k)
	}
	t.end += "\x00" // just after the greatest
	return t
}

// permitBlocker: a Semaphore permit holds with fewer than Limit keys
// ahead. The key just ahead must ask for the same limit. (etcd's Count
// ignores the create-revision filter, so the keys ahead are read, at most
// Limit+1 of them.)
func (q *acquisition) permitBlocker(ctx context.Context) (watchTarget, error) {
	resp, rev, err := q.ahead(ctx,
		clientv3.OpGet(q.pfx(), clientv3.WithPrefix(), clientv3.WithKeysOnly(), q.olderThan(),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(int64(q.req.Limit)+1)),
		clientv3.OpGet(q.pfx(), append(clientv3.WithLastCreate(), q.olderThan())...))
	if err != nil {
		return watchTarget{}, err
	}
	count := int64(len(resp[0].Kvs))
	pred := resp[1].Kvs
	switch {
	case count < int64(q.req.Limit):
		return watchTarget{}, nil
	case len(pred) == 0: // released meanwhile: read again (no at)
		return watchTarget{key: q.pfx(), prefix: true}, nil
	}
	if err := q.checkLimit(pred[0].Key, pred[0].Value); err != nil {
		return watchTarget{}, err
	}
	if count == int64(q.req.Limit) {
		return watchTarget{key: q.pfx(), prefix: true, at: rev}, nil
	}
	return watchTarget{key: string(pred[0].Key), puts: true, at: rev}, nil
}

// checkLimit fails when the key at key, a Semaphore's holder or waiter,
// asks for another limit than q.
func (q *acquisition) checkLimit(key, value []byte) error {
	var e brokerlock.Entry
	decodeValue(value, &e)
	if e.Limit > 0 && e.Limit != q.req.Limit {
		return fmt.Errorf("%w: Semaphore limit %d, but %s holds or waits with limit %d",
			brokerlock.ErrInvalid, q.req.Limit, key, e.Limit)
	}
	return nil
}

// readerBlocker: an RWLock reader holds when no key ahead is a writer's
// (any key that is not a reader's); it waits on the nearest writer.
func (q *acquisition) readerBlocker(ctx context.Context) (watchTarget, error) {
	resp, rev, err := q.ahead(ctx, clientv3.OpGet(q.pfx(), clientv3.WithPrefix(), q.olderThan(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend)))
	if err != nil {
		return watchTarget{}, err
	}
	for _, kv := range resp[0].Kvs {
		var e brokerlock.Entry
		decodeValue(kv.Value, &e)
		if !e.Shared {
			return watchTarget{key: string(kv.Key), at: rev}, nil
		}
	}
	return watchTarget{}, nil
}

// awaitTarget waits on the watch: for an event, after which the caller
// reads again to see what it meant, or with a range target for q's turn
// (held: turnCame). A watch that ended (its stream broke or was found
// silent, etcd cancelled it) is begun again, and the caller reads at
// once, without waiting for the next stream: if the read finds the same
// target, that watch serves it once etcd has created it.
func (q *acquisition) awaitTarget(ctx context.Context, w *keyWatch, target watchTarget) (held bool, err error) {
	var left map[string]int64 // a range target's keys ahead: their create revisions
	if target.ahead != nil {
		left = make(map[string]int64, len(target.ahead))
		for _, k := range target.ahead {
			left[k.key] = k.rev
		}
	}
	for {
		select {
		case resp, ok := <-w.ch:
			switch {
			case !ok || resp.Canceled:
				w.begin(q, w.target)
				return false, nil
			case target.ahead == nil:
				return false, nil
			case q.turnCame(resp.Events, left):
				return true, nil
			case q.state.Err() != nil:
				return false, q.state.Err()
			}
		case <-q.state.Done():
			return false, q.state.Err()
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// turnCame takes one response of a range watch, where left are the keys
// still ahead of q (with their create revisions), and reports whether they
// are all deleted now; a delete of q's own key up to that revision ends q
// (lost). One watch delivers its events in revision order, a revision's
// all in one response, and it starts no later than the revision of the
// read that found left (the watch was created before that read, or its
// created header says so: seesAllAfter), so a delete of q's key before
// (or with) the last of left would be
// seen first (or in the same response): q's key exists at the revision the
// last key ahead went, no key older than it can be created since, and q
// holds, without another read. A delete of q's key after that is a loss
// after holding, which the own-key watch reports.
//
// Key names are reused (lease and slot), and a watch created on a member
// that lags starts before the read, even before q's put: a delete counts
// only if it came after the key's creation, so the delete of an earlier
// key of the same name is not taken for a release, nor for q's loss.
func (q *acquisition) turnCame(events []*mvccpb.Event, left map[string]int64) bool {
	var turn int64 // the revision that deleted the last key ahead
	for _, ev := range events {
		k, at := string(ev.Kv.Key), ev.Kv.ModRevision
		created, isAhead := left[k]
		switch {
		case ev.Type != mvccpb.DELETE:
		case k == q.key && at > q.rev && (turn == 0 || at == turn):
			q.lose(errKeyDeleted)
			return false
		case isAhead && at > created:
			delete(left, k)
			if len(left) == 0 && turn == 0 {
				turn = at
			}
		}
	}
	return turn != 0
}

// keyWatch is the one watch a waiter keeps, relayed from the adapter's
// stream (relay.go).
type keyWatch struct {
	target  watchTarget
	ch      <-chan *pb.WatchResponse
	cancel  func()
	created bool  // etcd confirmed its creation
	since   int64 // the watch sees every change after this revision; 0 if unknown
}

// seesAllAfter reports whether the watch sees every change after revision
// rev (it started at rev or before), so that what a read at rev found
// needs no second read: etcd starts a watch just after the revision in
// its creation's header.
func (w *keyWatch) seesAllAfter(rev int64) bool { return w.since > 0 && w.since <= rev }

// begin watches target from the current revision: the create is queued
// on the adapter's stream, and confirm waits for etcd to create it.
func (w *keyWatch) begin(q *acquisition, target watchTarget) {
	w.stop()
	key, end := target.span()
	ch, cancel := q.a.own.relay(key, end, 0, target.puts, waitBuffer)
	*w = keyWatch{target: target, ch: ch, cancel: cancel}
}

// confirm returns once etcd has created the watch, or once the watch
// ended before that (the stream broke or was found silent: the watch is
// stopped, and the caller reads and watches again).
func (w *keyWatch) confirm(ctx context.Context, q *acquisition) error {
	select {
	case resp, ok := <-w.ch:
		if ok && resp.Created && !resp.Canceled {
			w.created, w.since = true, resp.GetHeader().GetRevision()
			return nil
		}
		key := w.target.key
		w.stop()
		return q.watchEnded(key, resp, ok)
	case <-q.state.Done():
		return q.state.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// span is the keys a watch of t watches: key, up to end unless end is "".
func (t watchTarget) span() (key, end string) {
	if t.prefix {
		return t.key, prefixEnd(t.key)
	}
	return t.key, t.end
}

// watchEnded is the error of a watch of key that ended before etcd
// created it: etcd's refusal, ErrClosed after Close, nil when its stream
// broke (the waiter reads and watches again).
func (q *acquisition) watchEnded(key string, resp *pb.WatchResponse, ok bool) error {
	switch {
	case q.a.isClosed():
		return fmt.Errorf("etcdadapter: watch ended before it started: %w", brokerlock.ErrClosed)
	case ok && resp.Canceled:
		return fmt.Errorf("etcdadapter: watch %q: %w", key, refusal(resp))
	}
	return nil
}

// pause waits d or until ctx is done (its error).
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *keyWatch) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	*w = keyWatch{}
}
