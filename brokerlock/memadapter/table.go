package memadapter

import (
	"slices"
	"sync"
	"time"
)

// table is the lock state that all handles made from one New share. Its
// mutex guards everything in the package that changes: the queues, every
// entry's mutable fields and every handle's bookkeeping.
type table struct {
	mu        sync.Mutex
	queues    map[string][]*entry // per id: the head holds, the rest wait in order
	lastToken int64
	handles   int // made so far, to name them
	// watchers of each id's head: signalled on every change of its queue
	watchers map[string]map[chan struct{}]struct{}
}

func newTable() *table {
	return &table{queues: map[string][]*entry{}, watchers: map[string]map[chan struct{}]struct{}{}}
}

// notifyLocked tells id's head watchers that its queue changed. A watcher
// that has not looked yet since the last signal misses nothing: it reads
// the head when it does.
func (t *table) notifyLocked(id string) {
	for sig := range t.watchers[id] {
		select {
		case sig <- struct{}{}:
		default:
		}
	}
}

// watchLocked adds (or, with !add, removes) a head watcher of id.
func (t *table) watchLocked(id string, sig chan struct{}, add bool) {
	if !add {
		delete(t.watchers[id], sig)
		if len(t.watchers[id]) == 0 {
			delete(t.watchers, id)
		}
		return
	}
	if t.watchers[id] == nil {
		t.watchers[id] = map[chan struct{}]struct{}{}
	}
	t.watchers[id][sig] = struct{}{}
}

// holderLocked returns the entry holding lock id, or nil.
func (t *table) holderLocked(id string) *entry {
	if q := t.queues[id]; len(q) > 0 {
		return q[0]
	}
	return nil
}

// enqueueLocked puts e at the end of its queue and grants it if it may
// hold there.
func (t *table) enqueueLocked(e *entry) {
	t.queues[e.id] = append(t.queues[e.id], e)
	t.admitLocked(e.id)
	if len(t.queues[e.id]) == 1 {
		t.notifyLocked(e.id)
	}
}

// admitLocked grants, in queue order, every waiter of id that may hold
// now (see admissible): tokens go out in grant order.
func (t *table) admitLocked(id string) {
	q := t.queues[id]
	for i, e := range q {
		if !e.granted && admissible(q, i) {
			t.grantLocked(e)
		}
	}
}

// admissible reports whether q[i] may hold: an exclusive entry at the
// head, a Semaphore permit with fewer than its limit ahead, a reader
// with no writer ahead.
func admissible(q []*entry, i int) bool {
	e := q[i]
	switch {
	case e.limit > 0:
		return i < e.limit
	case e.shared:
		return !slices.ContainsFunc(q[:i], func(x *entry) bool { return !x.shared })
	}
	return i == 0
}

// removeLocked takes e out of its queue. When e was the head, the next
// waiter gets the lock.
func (t *table) removeLocked(e *entry) {
	q := t.queues[e.id]
	i := slices.Index(q, e)
	if i < 0 {
		return
	}
	q = slices.Delete(q, i, i+1)
	if i == 0 {
		defer t.notifyLocked(e.id)
	}
	if len(q) == 0 {
		delete(t.queues, e.id)
		return
	}
	t.queues[e.id] = q
	t.admitLocked(e.id)
}

// grantLocked hands the lock to e with the next token.
func (t *table) grantLocked(e *entry) {
	t.lastToken++
	e.grantLocked(t.lastToken, time.Now())
}
