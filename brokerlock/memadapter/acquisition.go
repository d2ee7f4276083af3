package memadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/holdstate"
)

// entry is one Acquire call: a waiter in its lock's queue, then, once
// granted, the brokerlock.Acquisition it returns.
type entry struct {
	table     *table
	owner     *Adapter
	id        string
	ttl       time.Duration
	keepAlive bool
	label     string
	election  bool // Request.Election: value is the key's value
	limit     int  // Request.Limit: a Semaphore's permit
	shared    bool // Request.Shared: an RWLock reader
	queued    time.Time
	state     *holdstate.State

	// ready is closed when the wait is over: granted, or rejected with
	// waitErr. token and key are written before and never after.
	ready chan struct{}
	token int64
	key   string

	// Guarded by table.mu.
	granted  bool
	acquired time.Time
	waitErr  error
	expires  time.Time
	timer    *time.Timer // hard TTL; nil with KeepAlive
	gen      uint64      // which timer may still end the hold
	value    string      // Request.Value, then what SetValue set
}

var _ brokerlock.Acquisition = (*entry)(nil)

func newEntry(owner *Adapter, id string, req brokerlock.Request) *entry {
	return &entry{
		table: owner.table, owner: owner, id: id,
		ttl: req.TTL, keepAlive: req.KeepAlive, label: req.Label, election: req.Election, value: req.Value, limit: req.Limit, shared: req.Shared, queued: time.Now(),
		state: holdstate.New(), ready: make(chan struct{}),
	}
}

// Key returns "mem/<id>/<token>", unique in the table.
func (e *entry) Key() string { return e.key }

// Token returns the fencing token.
func (e *entry) Token() int64 { return e.token }

// Done is closed when the hold ends.
func (e *entry) Done() <-chan struct{} { return e.state.Done() }

// Err is nil while held, wraps ErrLockLost after a loss and is
// ErrReleased after Release.
func (e *entry) Err() error { return e.state.Err() }

// Expires is when the hard TTL ends the hold. A live KeepAlive hold never
// expires; it reports now plus TTL, as a renewed lease would.
func (e *entry) Expires() time.Time {
	e.table.mu.Lock()
	defer e.table.mu.Unlock()
	if e.keepAlive && e.state.Err() == nil {
		return time.Now().Add(e.ttl)
	}
	return e.expires
}

// Refresh starts the TTL again from now.
func (e *entry) Refresh(ctx context.Context) error {
	e.table.mu.Lock()
	defer e.table.mu.Unlock()
	if err := e.state.Err(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memadapter: lock %q: refresh: %w", e.id, err)
	}
	e.armLocked(time.Now())
	return nil
}

// SetValue replaces an election candidate's value while it holds.
func (e *entry) SetValue(ctx context.Context, value string) error {
	e.table.mu.Lock()
	defer e.table.mu.Unlock()
	switch err := e.state.Err(); {
	case err != nil:
		return err
	case !e.election:
		return fmt.Errorf("memadapter: lock %q: set value: %w: not an election's key", e.id, brokerlock.ErrInvalid)
	case ctx.Err() != nil:
		return fmt.Errorf("memadapter: lock %q: set value: %w", e.id, ctx.Err())
	}
	e.value = value
	e.table.notifyLocked(e.id)
	return nil
}

// Release ends the hold and hands the lock to the next waiter. It returns
// the loss error if the hold had been lost, and nil otherwise.
func (e *entry) Release(context.Context) error {
	e.table.mu.Lock()
	defer e.table.mu.Unlock()
	if err := e.state.Err(); err != nil {
		if errors.Is(err, brokerlock.ErrReleased) {
			return nil
		}
		return err
	}
	e.endLocked(brokerlock.ErrReleased)
	return nil
}

// grantLocked makes e the holder of its lock.
func (e *entry) grantLocked(token int64, now time.Time) {
	e.granted = true
	e.acquired = now
	e.token = token
	e.key = fmt.Sprintf("mem/%s/%d", e.id, token)
	e.armLocked(now)
	close(e.ready)
}

// rejectLocked ends e's wait with err and takes it out of its queue.
func (e *entry) rejectLocked(err error) {
	e.waitErr = err
	close(e.ready)
	e.owner.forgetLocked(e)
	e.table.removeLocked(e)
}

// endLocked ends a granted hold with err, then gives the lock to the next
// waiter: Done is closed before anyone else holds the lock.
func (e *entry) endLocked(err error) {
	if !e.state.End(err) {
		return
	}
	e.disarmLocked()
	if e.keepAlive {
		e.expires = time.Now() // it no longer moves forward
	}
	e.owner.forgetLocked(e)
	e.table.removeLocked(e)
}

// abandonLocked takes e out after its caller stopped waiting. If it was
// granted meanwhile, the lock passes on to the next waiter.
func (e *entry) abandonLocked() {
	switch {
	case e.waitErr != nil: // already rejected and removed
	case e.granted:
		e.endLocked(brokerlock.ErrReleased)
	default:
		e.owner.forgetLocked(e)
		e.table.removeLocked(e)
	}
}
