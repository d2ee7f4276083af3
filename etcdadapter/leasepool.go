package etcdadapter

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// The adapter's pool of leases (lease.go is one lease): one live lease
// per asked TTL, granted on first use and shared by every acquisition
// asking for that TTL, revoked when it dies, and on Close.

// leaseFor returns the live shared lease of secs seconds, granting one if
// there is none (or the last one died). Concurrent callers share one
// grant, and each waits for it only as long as its own ctx allows.
func (a *Adapter) leaseFor(ctx context.Context, secs int64) (*lease, error) {
	for {
		e, err := a.leaseEntry(secs)
		if err != nil {
			return nil, err
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		if !e.failed() {
			return e.l, nil
		}
	}
}

// leaseEntry returns the entry for secs, starting a grant when there is
// no usable one.
func (a *Adapter) leaseEntry(secs int64) (*leaseEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, brokerlock.ErrClosed
	}
	e := a.leases[secs]
	if e != nil && !e.failed() {
		return e, nil
	}
	e = &leaseEntry{ready: make(chan struct{})}
	a.leases[secs] = e
	a.wg.Go(func() { a.grant(e, secs) })
	return e, nil
}

// failed: granted with an error, or the lease has died or was retired
// since.
func (e *leaseEntry) failed() bool {
	select {
	case <-e.ready:
		return e.err != nil || e.l.isDead() || e.l.retired.Load()
	default:
		return false
	}
}

// grant runs on the adapter's context, not a caller's, so that one
// caller's short timeout does not fail the grant for the others.
func (a *Adapter) grant(e *leaseEntry, secs int64) {
	ctx, cancel := context.WithTimeout(a.ctx, cleanupTimeout)
	l, err := grantLease(ctx, a.client, secs)
	cancel()
	e.l, e.err = l, err
	close(e.ready)
	if err != nil {
		return
	}
	a.trackLease(l, true)
	l.run(a.ctx, a.client)
	a.logLeaseEnd(l)
	if a.ctx.Err() != nil {
		return // Close revokes it
	}
	gone := a.revokeDead(l)
	// Close revokes what is left: a lease whose revoke failed because
	// Close cut it short. One that failed otherwise expires, unrenewed.
	if gone || a.ctx.Err() == nil {
		a.trackLease(l, false)
	}
}

// logLeaseEnd logs why a lease ended while the adapter lives: a retired
// lease ends once unused, any other with the loss of its holds.
func (a *Adapter) logLeaseEnd(l *lease) {
	id := fmt.Sprintf("%x", int64(l.id))
	switch {
	case a.ctx.Err() != nil:
	case errors.Is(l.err(), errLeaseRetired):
		a.log.Info("brokerlock: retired lease revoked", "lease", id)
	default:
		a.log.Warn("brokerlock: lease died; its holds are lost", "lease", id, "cause", l.err().Error())
	}
}

// revokeDead revokes a lease that died (or was retired) while the adapter
// lives, best effort: it takes along any key whose removal failed, and a
// put that lands late. It reports whether the lease is surely gone; if
// etcd is unreachable the server expires it soon, unrenewed. (Close
// revokes the live ones.)
func (a *Adapter) revokeDead(l *lease) bool {
	if errors.Is(l.err(), errLeaseGone) {
		return true
	}
	ctx, cancel := context.WithTimeout(a.ctx, cleanupTimeout)
	defer cancel()
	_, err := a.client.Revoke(ctx, l.id)
	return err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound)
}
