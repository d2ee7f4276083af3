package memadapter

import (
	"context"
	"fmt"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/latest"
)

// Head returns lock id's holder as a brokerlock.Leader, through any handle
// of the table; the zero Leader when nobody holds it.
func (a *Adapter) Head(ctx context.Context, id string) (brokerlock.Leader, error) {
	if err := ctx.Err(); err != nil {
		return brokerlock.Leader{}, err
	}
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return brokerlock.Leader{}, brokerlock.ErrClosed
	}
	return a.table.headLocked(id), nil
}

func (t *table) headLocked(id string) brokerlock.Leader {
	h := t.holderLocked(id)
	if h == nil {
		return brokerlock.Leader{}
	}
	return brokerlock.Leader{Key: h.key, Value: h.value, Token: h.token}
}

// WatchHead sends lock id's head now and after every change, as
// brokerlock.Adapter promises, from a goroutine that ends when ctx is
// done or the handle is closed (Close waits for it).
func (a *Adapter) WatchHead(ctx context.Context, id string) <-chan brokerlock.Leader {
	out := make(chan brokerlock.Leader)
	sig := make(chan struct{}, 1)
	if !a.addWatcher(id, sig) {
		close(out)
		return out
	}
	go func() {
		defer a.watchers.Done()
		defer close(out)
		a.watchHead(ctx, id, sig, out)
	}()
	return out
}

// addWatcher registers sig for id's changes and counts one watcher that
// Close waits for; false when the handle is closed.
func (a *Adapter) addWatcher(id string, sig chan struct{}) bool {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return false
	}
	a.table.watchLocked(id, sig, true)
	a.watchers.Add(1)
	return true
}

// watchHead sends the newest head on out until ctx is done or the handle
// closes.
func (a *Adapter) watchHead(ctx context.Context, id string, sig chan struct{}, out chan brokerlock.Leader) {
	defer a.table.unwatch(id, sig)
	s := latest.New(out)
	s.Set(a.table.head(id))
	for {
		select {
		case s.Out() <- s.Next():
			s.Sent()
		case <-sig:
			s.Set(a.table.head(id))
		case <-ctx.Done():
			return
		case <-a.stop:
			return
		}
	}
}

func (t *table) head(id string) brokerlock.Leader {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.headLocked(id)
}

func (t *table) unwatch(id string, sig chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watchLocked(id, sig, false)
}

// ForceRelease ends the hold of lock id's current holder, as an operator
// deleting its etcd key would (see Revoke), and returns what Inspect said
// of it; nil when nobody held the lock.
func (a *Adapter) ForceRelease(ctx context.Context, id string) (*brokerlock.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memadapter: lock %q: force release: %w", id, err)
	}
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	h := a.table.holderLocked(id)
	if h == nil {
		return nil, nil
	}
	info := h.infoLocked()
	h.endLocked(fmt.Errorf("memadapter: lock %q: revoked: %w", id, brokerlock.ErrLockLost))
	return &info, nil
}
