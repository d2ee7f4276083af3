package brokerlock

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Term is one candidate's time as leader, from Campaign to Resign or a
// loss. It is safe for concurrent use.
//
// A term can end without Resign, like a Hold: when its key or lease
// disappears, or when the adapter cannot reach the server for longer than
// the lease allows. Done closes then, before the server could elect
// another leader in the second case. Stop leading when it does, and guard
// writes to shared state with Token.
type Term struct {
	name     string
	acq      Acquisition
	resigned atomic.Bool

	mu    sync.Mutex
	value string
}

// Name returns the election's name.
func (t *Term) Name() string { return t.name }

// Value returns the value this leader proclaimed last (Campaign's value
// until the first Proclaim).
func (t *Term) Value() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.value
}

// Key is the leader's key (etcd: the full key), for write guards.
func (t *Term) Key() string { return t.acq.Key() }

// Token is the term's fencing token: strictly greater than every earlier
// term's in this election. Pass it along with writes to shared state and
// have the state refuse lower tokens (for etcd: etcdadapter.IsOwner).
func (t *Term) Token() int64 { return t.acq.Token() }

// Done is closed when the term ends: resigned, or lost.
func (t *Term) Done() <-chan struct{} { return t.acq.Done() }

// Err is nil while the term lasts, an error wrapping ErrLockLost after a
// loss, and ErrReleased after Resign.
func (t *Term) Err() error { return t.acq.Err() }

// Expires is when the term ends unless its lease is renewed; it moves
// forward with every renewal.
func (t *Term) Expires() time.Time { return t.acq.Expires() }

// Proclaim changes the leader's value, which Leader and Observe report,
// only while the term lasts (a write fenced by the term's key): after a
// loss it returns an error wrapping ErrLockLost, after Resign ErrReleased,
// and writes nothing. A value over MaxValue is ErrInvalid.
func (t *Term) Proclaim(ctx context.Context, value string) error {
	if err := checkValue(t.name, value); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.acq.SetValue(ctx, value); err != nil {
		return callErr(err, "election %q: proclaim", t.name)
	}
	t.value = value
	return nil
}

// Resign ends the term and removes its key, so the next candidate leads
// at once, as Hold.Release does, also when ctx is already done. The first
// call returns nil, an error wrapping ErrLockLost if the term had been
// lost, or the transport error (the adapter then keeps removing the key
// in the background). Later calls return nil.
func (t *Term) Resign(ctx context.Context) error {
	if t.resigned.Swap(true) {
		return nil
	}
	if err := t.acq.Release(ctx); err != nil {
		return callErr(err, "election %q: resign", t.name)
	}
	return nil
}
