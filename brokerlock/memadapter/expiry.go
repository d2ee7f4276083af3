package memadapter

import (
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// armLocked sets the hold to end TTL after from. Without KeepAlive a
// timer ends it then; a timer armed earlier no longer counts.
func (e *entry) armLocked(from time.Time) {
	e.expires = from.Add(e.ttl)
	if e.keepAlive {
		return
	}
	e.disarmLocked()
	gen := e.gen
	e.timer = time.AfterFunc(e.ttl, func() { e.expire(gen) })
}

// disarmLocked stops the TTL timer. A timer that already fired and waits
// for the mutex sees a newer gen and does nothing.
func (e *entry) disarmLocked() {
	e.gen++
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}

// expire ends the hold when the timer of generation gen fires.
func (e *entry) expire(gen uint64) {
	e.table.mu.Lock()
	defer e.table.mu.Unlock()
	if gen != e.gen {
		return
	}
	e.endLocked(fmt.Errorf("memadapter: lock %q: TTL %v ran out: %w", e.id, e.ttl, brokerlock.ErrLockLost))
}
