package memadapter

import (
	"context"
	"fmt"
	"sync"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Adapter is one handle on an in-memory lock table: an in-process
// brokerlock.Adapter with the etcd adapter's semantics. Handles made by
// NewClient share the table and contend for its locks like separate
// processes. It is safe for concurrent use.
type Adapter struct {
	table    *table
	identity string // "memadapter/<n>": the n-th handle on its table

	// Guarded by table.mu.
	closed  bool
	entries map[*entry]struct{} // this handle's waiters and holds

	stop     chan struct{}  // closed by Close: head watchers end
	watchers sync.WaitGroup // one per WatchHead; Close waits for them
}

var _ brokerlock.Adapter = (*Adapter)(nil)

// New returns a handle on a new, empty lock table.
func New() *Adapter { return newHandle(newTable()) }

// NewClient returns another handle on a's lock table, like a second
// process with its own etcd client: its holds and a's exclude each other,
// and closing one handle ends only that handle's holds and waits. It works
// also when a is closed.
func (a *Adapter) NewClient() *Adapter { return newHandle(a.table) }

func newHandle(t *table) *Adapter {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handles++
	return &Adapter{table: t, identity: fmt.Sprintf("memadapter/%d", t.handles), entries: map[*entry]struct{}{},
		stop: make(chan struct{})}
}

// IsReserved reports whether anyone, through any handle of the table,
// holds lock id.
func (a *Adapter) IsReserved(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return false, brokerlock.ErrClosed
	}
	return a.table.holderLocked(id) != nil, nil
}

// Waiters returns how many Acquire calls, through any handle of the
// table, wait in lock id's queue behind its holder. Tests use it to wait
// until a worker is queued instead of sleeping.
func (a *Adapter) Waiters(id string) int {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	return max(len(a.table.queues[id])-1, 0)
}

// Revoke makes the current holder of lock id lose it, as an operator
// deleting the lock's etcd key would: that hold's Done closes, its Err
// wraps brokerlock.ErrLockLost, and then the next waiter gets the lock.
// It reports whether anyone held the lock. Use it to test how your code
// handles a lost lock. Any handle of the table can revoke any hold, also
// after the handle was closed.
func (a *Adapter) Revoke(id string) bool {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	h := a.table.holderLocked(id)
	if h == nil {
		return false
	}
	h.endLocked(fmt.Errorf("memadapter: lock %q: revoked: %w", id, brokerlock.ErrLockLost))
	return true
}

// Close ends this handle's holds with an error wrapping both
// brokerlock.ErrLockLost and brokerlock.ErrClosed (their locks pass on to
// the next waiters), wakes its waiters with brokerlock.ErrClosed and stops
// its timers, closes the channels of its WatchHead calls and waits for
// their goroutines. Later calls on the handle return
// brokerlock.ErrClosed; other handles of the table carry on. Close always
// returns nil.
func (a *Adapter) Close() error {
	if a.closeLocked() {
		close(a.stop)
	}
	a.watchers.Wait()
	return nil
}

// closeLocked ends the handle's waits and holds; false when it was closed
// already.
func (a *Adapter) closeLocked() bool {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return false
	}
	a.closed = true
	waiting, holding := a.splitLocked()
	for _, e := range waiting {
		e.rejectLocked(brokerlock.ErrClosed)
	}
	for _, e := range holding {
		e.endLocked(fmt.Errorf("memadapter: lock %q: %w: %w", e.id, brokerlock.ErrClosed, brokerlock.ErrLockLost))
	}
	return true
}

// splitLocked returns the handle's waiters and holds. Close rejects the
// waiters first, so that ending a hold never grants a lock to a waiter of
// the handle being closed.
func (a *Adapter) splitLocked() (waiting, holding []*entry) {
	for e := range a.entries {
		if e.granted {
			holding = append(holding, e)
		} else {
			waiting = append(waiting, e)
		}
	}
	return waiting, holding
}

// forgetLocked drops e from the handle's bookkeeping.
func (a *Adapter) forgetLocked(e *entry) { delete(a.entries, e) }
