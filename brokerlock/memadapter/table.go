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
}

func newTable() *table {
	return &table{queues: map[string][]*entry{}}
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
