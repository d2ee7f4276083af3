package etcdadapter

import (
	"context"
	"time"
)

// An acquisition, waiting or holding, ends as lost when its lease dies
// (the lease tells each of its acquisitions: see lease.kill; Close kills
// every lease), when the hard TTL passes (a timer), and when its key is
// deleted (a watch on the adapter's stream for its own keys, ownkeys.go).
// None of these needs a goroutine of the acquisition's own, and the watch
// starts only ownWatchDelay after the put: a short hold costs no watch.
// The watch starts from the put's revision, so a delete in between is
// still seen (replayed from etcd's history, within about 100ms more).

// ownWatchDelay is how long an acquisition lasts before its own key is
// watched.
const ownWatchDelay = 20 * time.Millisecond

// arm starts watching over q once its put succeeded.
func (q *acquisition) arm() {
	q.a.own.watchSoon(q)
	q.l.join(q)
}

// startWatch watches q's key from its put on (ownKeys.watchSoon calls it).
func (q *acquisition) startWatch() { q.watchFrom(q.rev + 1) }

// watchFrom watches q's key for deletes from revision rev, unless q has
// ended; end stops the watch.
func (q *acquisition) watchFrom(rev int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state.Err() == nil {
		q.watchID = q.a.own.watch(q, rev)
	}
}

// end ends q's state with err and stops what watches over it; false when
// it had ended already.
func (q *acquisition) end(err error) bool {
	if !q.state.End(err) {
		return false
	}
	q.mu.Lock()
	if q.hard != nil {
		q.hard.timer.Stop()
	}
	if q.watchID != 0 {
		q.a.own.unwatch(q.watchID)
	}
	q.mu.Unlock()
	q.l.leave(q)
	return true
}

// armDeadlineLocked (q.mu held) ends a hard-TTL hold at deadline.
func (q *acquisition) armDeadlineLocked(deadline time.Time) {
	if q.hard == nil {
		q.hard = &hardTTL{deadline: deadline, timer: time.AfterFunc(time.Until(deadline), q.checkDeadline)}
		return
	}
	q.hard.deadline = deadline
	q.hard.timer.Reset(time.Until(deadline))
}

// checkDeadline ends a hard-TTL hold whose deadline passed; a Refresh may
// have moved it meanwhile.
func (q *acquisition) checkDeadline() {
	q.mu.Lock()
	left := time.Until(q.hard.deadline)
	if left > 0 && q.state.Err() == nil {
		q.hard.timer.Reset(left)
	}
	q.mu.Unlock()
	if left <= 0 {
		q.lose(errTTL)
	}
}

// recheck reads q's key after etcd cancelled its watch (the revision it
// started at was compacted away, or the watch was refused), a retryInterval
// later: a key gone or re-created is a loss; otherwise it is watched again
// from the read. Failed reads are retried until one works or q ends.
func (q *acquisition) recheck() {
	for backoff := retryInterval; ; backoff = min(2*backoff, 2*time.Second) {
		select {
		case <-q.state.Done():
			return
		case <-q.a.ctx.Done():
			return
		case <-time.After(backoff):
		}
		ctx, cancel := context.WithTimeout(q.a.ctx, cleanupTimeout)
		rev, err := q.confirm(ctx)
		cancel()
		switch {
		case err == nil:
			q.watchFrom(rev + 1)
			return
		case q.state.Err() != nil: // lost
			return
		}
	}
}
