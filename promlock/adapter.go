package promlock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Adapter is a brokerlock.Adapter that records metrics of the adapter it
// wraps; Wrap makes one. It is safe for concurrent use.
type Adapter struct {
	inner brokerlock.Adapter
	m     *metrics

	stop   chan struct{} // closed by Close: watchers end
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // one watcher per live hold
}

var (
	_ brokerlock.Adapter   = (*Adapter)(nil)
	_ brokerlock.Inspector = (*Adapter)(nil)
)

// Wrap returns an Adapter that passes every call on to a and records its
// metrics in collectors registered with reg. It fails with an error
// wrapping ErrInvalid for a nil a or reg or a bad option, and with the
// registry's error (wrapped) when reg refuses a collector, e.g. because a
// different collector of the same name is registered; then nothing of this
// call stays registered. Wrap does not take ownership of reg.
//
// Closing the Adapter closes a.
func Wrap(a brokerlock.Adapter, reg prometheus.Registerer, opts ...Option) (*Adapter, error) {
	if a == nil || reg == nil {
		return nil, fmt.Errorf("%w: Wrap(%T, %T): want a non-nil adapter and registerer", ErrInvalid, a, reg)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m := newMetrics(c)
	if err := m.register(reg); err != nil {
		return nil, err
	}
	m.preset()
	return &Adapter{inner: a, m: m, stop: make(chan struct{})}, nil
}

// Unwrap returns the wrapped adapter, e.g. for etcdadapter's List and
// ForceRelease. Calls made on it directly are not recorded.
func (a *Adapter) Unwrap() brokerlock.Adapter { return a.inner }

// Acquire calls the wrapped Acquire and records its result and how long
// it took; a successful one starts a hold, whose end is recorded when its
// Done closes. The hold metrics carry the label primitive (req.Kind:
// lock, semaphore, rwlock, election). An election's Campaign also counts in the
// election metrics, by election name: a won one sets
// brokerlock_election_leader to 1 until the term ends.
func (a *Adapter) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	start := time.Now()
	acq, err := a.inner.Acquire(ctx, id, req)
	a.m.acquired(req.Kind, id, classify(ctx, err), time.Since(start))
	if req.Election {
		a.m.campaigned(id, classify(ctx, err), time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	return a.track(id, req, acq), nil
}

// IsReserved calls the wrapped IsReserved; errors count in
// brokerlock_errors_total{op="is_reserved"}.
func (a *Adapter) IsReserved(ctx context.Context, id string) (bool, error) {
	reserved, err := a.inner.IsReserved(ctx, id)
	if err != nil {
		a.m.failed("is_reserved", classify(ctx, err))
	}
	return reserved, err
}

// Inspect calls the wrapped adapter's Inspect; errors count in
// brokerlock_errors_total{op="inspect"}. When the wrapped adapter is not
// a brokerlock.Inspector it fails with an error wrapping
// errors.ErrUnsupported, as Item.Inspect does for such an adapter.
func (a *Adapter) Inspect(ctx context.Context, id string) (brokerlock.LockInfo, error) {
	in, ok := a.inner.(brokerlock.Inspector)
	if !ok {
		return brokerlock.LockInfo{}, fmt.Errorf("promlock: inspect: adapter %T: %w", a.inner, errors.ErrUnsupported)
	}
	info, err := in.Inspect(ctx, id)
	if err != nil {
		a.m.failed("inspect", classify(ctx, err))
	}
	return info, err
}

// Head calls the wrapped Head; errors count in
// brokerlock_errors_total{op="head"}.
func (a *Adapter) Head(ctx context.Context, id string) (brokerlock.Leader, error) {
	head, err := a.inner.Head(ctx, id)
	if err != nil {
		a.m.failed("head", classify(ctx, err))
	}
	return head, err
}

// WatchHead returns the wrapped WatchHead's channel.
func (a *Adapter) WatchHead(ctx context.Context, id string) <-chan brokerlock.Leader {
	return a.inner.WatchHead(ctx, id)
}

// Close closes the wrapped adapter, which ends its holds, then waits
// until every hold's end is recorded and its watcher has stopped. It
// returns the wrapped Close's error, which also counts in
// brokerlock_errors_total{op="close"}. Later calls return what the
// wrapped Close returns.
func (a *Adapter) Close() error {
	err := a.inner.Close()
	if err != nil {
		a.m.failed("close", classify(context.Background(), err))
	}
	a.stopWatchers()
	return err
}

// stopWatchers lets no new watcher start, tells the running ones to stop,
// and waits for them.
func (a *Adapter) stopWatchers() {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.stop)
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// goWatch runs f in a goroutine that Close waits for; false after Close.
func (a *Adapter) goWatch(f func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Go(f)
	return true
}
