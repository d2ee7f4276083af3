package brokerlock

import (
	"context"
	"errors"
	"fmt"
)

// Acquire blocks until this Item holds the lock, like Hold, and keeps the
// hold in the Item for Release. It returns an error wrapping
// ErrAlreadyAcquired while the Item holds the lock or another Acquire or
// Try on it is in flight. A hold that has been lost does not count: the
// next Acquire drops it and queues again. A failed Acquire leaves nothing
// queued.
func (it *Item) Acquire(ctx context.Context) error {
	_, err := it.acquireStateful(ctx, false)
	return err
}

// Try takes the lock if nobody holds it now, like TryHold, and keeps the
// hold in the Item. It returns false and a nil error when someone else
// holds the lock, and ErrAlreadyAcquired like Acquire.
func (it *Item) Try(ctx context.Context) (bool, error) {
	_, err := it.acquireStateful(ctx, true)
	if errors.Is(err, ErrLocked) {
		return false, nil
	}
	return err == nil, err
}

// Release releases the lock this Item holds. It returns nil when the Item
// does not hold it, and an error wrapping ErrLockLost when the hold had
// been lost meanwhile. See Hold.Release. It does not stop an Acquire or
// Try that is still in flight: when that one succeeds, the Item holds the
// lock until the next Release.
func (it *Item) Release(ctx context.Context) error {
	it.mu.Lock()
	h := it.held
	it.held = nil
	it.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Release(ctx)
}

// Acquired reports whether this Item holds the lock now (through Acquire
// or Try, and not lost).
func (it *Item) Acquired() bool {
	return it.Current() != nil
}

// Current returns the live hold that Acquire or Try took, for its Token,
// Done and Expires, or nil when the Item holds nothing. Releasing it is
// the same as Item.Release: the Item then holds nothing and can Acquire
// again.
func (it *Item) Current() *Hold {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.held == nil || it.held.Err() != nil {
		return nil
	}
	return it.held
}

func (it *Item) acquireStateful(ctx context.Context, try bool) (*Hold, error) {
	lost, err := it.startStateful()
	if err != nil {
		return nil, err
	}
	if lost != nil {
		_ = lost.Release(ctx) // ErrLockLost: that is why it is dropped
	}
	h, err := it.acquire(ctx, try)
	it.mu.Lock()
	defer it.mu.Unlock()
	it.acquiring = false
	if err == nil {
		it.held = h
	}
	return h, err
}

// startStateful marks a stateful acquisition in flight and hands back a
// lost hold it dropped, if any, for the caller to release.
func (it *Item) startStateful() (lost *Hold, err error) {
	if it.invalid != nil {
		return nil, it.invalid
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.acquiring || (it.held != nil && it.held.Err() == nil) {
		return nil, fmt.Errorf("%w: lock %q", ErrAlreadyAcquired, it.id)
	}
	it.acquiring = true
	lost, it.held = it.held, nil
	return lost, nil
}
