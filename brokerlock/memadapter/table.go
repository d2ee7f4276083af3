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

// enqueueLocked puts e at the end of its queue; at the head it holds.
func (t *table) enqueueLocked(e *entry) {
	t.queues[e.id] = append(t.queues[e.id], e)
	if len(t.queues[e.id]) == 1 {
		t.grantLocked(e)
		t.notifyLocked(e.id)
	}
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
	if i == 0 {
		t.grantLocked(q[0])
	}
}

// grantLocked hands the lock to e with the next token.
func (t *table) grantLocked(e *entry) {
	t.lastToken++
	e.grantLocked(t.lastToken, time.Now())
}
