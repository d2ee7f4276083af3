package promlock

import (
	"context"
	"sync"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// acquisition is a hold of the wrapped adapter that records its release
// and its end. Key, Token, Expires, Done and Err are the wrapped ones.
type acquisition struct {
	brokerlock.Acquisition
	owner    *Adapter
	id       string
	kind     brokerlock.Kind
	election bool // a term: also recorded in the election metrics
	start    time.Time

	releaseOnce sync.Once
	releasing   chan struct{} // closed once the first Release returned
	ended       chan struct{} // closed once the end is recorded
}

var _ brokerlock.Acquisition = (*acquisition)(nil)

// track wraps inner and starts the watcher that records its end. After
// Close there is no watcher: the wrapped Close ended the hold, so its end
// is recorded at once.
func (a *Adapter) track(id string, req brokerlock.Request, inner brokerlock.Acquisition) *acquisition {
	h := &acquisition{Acquisition: inner, owner: a, id: id, kind: req.Kind, election: req.Election, start: time.Now(),
		releasing: make(chan struct{}), ended: make(chan struct{})}
	if !a.goWatch(h.watch) {
		h.recordEnd(endClosed)
	}
	return h
}

// watch waits until the hold ends, by Release, by a loss or by Close,
// and records its end.
func (h *acquisition) watch() {
	select {
	case <-h.Done():
		h.recordEnd(endLost)
	case <-h.releasing:
		h.recordEnd(endReleased)
	case <-h.owner.stop:
		h.recordEnd(endClosed)
	}
}

// recordEnd records the hold's end, classified by its Err; fallback is
// for a nil Err (see endOf).
func (h *acquisition) recordEnd(fallback string) {
	end := endOf(h.Err(), fallback)
	h.owner.m.ended(h.kind, h.id, end, time.Since(h.start))
	if h.election {
		h.owner.m.termEnded(h.id, end)
	}
	close(h.ended)
}

// Release calls the wrapped Release and records the first call's result.
// It returns once the hold's end is recorded, so the metrics are settled
// when it returns.
func (h *acquisition) Release(ctx context.Context) error {
	err := h.Acquisition.Release(ctx)
	h.releaseOnce.Do(func() {
		h.owner.m.released(h.kind, h.id, releaseResult(err))
		close(h.releasing)
	})
	<-h.ended
	return err
}

// Refresh calls the wrapped Refresh; errors count in
// brokerlock_errors_total{op="refresh"}.
func (h *acquisition) Refresh(ctx context.Context) error {
	err := h.Acquisition.Refresh(ctx)
	if err != nil {
		h.owner.m.failed("refresh", classify(ctx, err))
	}
	return err
}
