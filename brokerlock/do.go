package brokerlock

import (
	"context"
	"errors"
	"sync"
)

// Do holds the lock while fn runs, like Hold then Release. fn's ctx is
// cancelled when the hold is lost (context.Cause then wraps ErrLockLost),
// and Do's error then includes ErrLockLost besides fn's own error. The lock
// is released when fn returns, also when it panics (the panic goes on
// after the release). Errors from getting the lock are Hold's.
func (it *Item) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	return doHeld(ctx, it.Hold, fn)
}

// doHeld is Do with hold as the way to get the hold.
func doHeld(ctx context.Context, hold func(context.Context) (*Hold, error), fn func(ctx context.Context) error) (err error) {
	h, err := hold(ctx)
	if err != nil {
		return err
	}
	fctx, stop := cancelOnLoss(ctx, h)
	defer func() {
		stop()
		err = errors.Join(err, doRelease(ctx, h))
	}()
	return fn(fctx)
}

// ender is what ends: a Hold or a Term.
type ender interface {
	Done() <-chan struct{}
	Err() error
}

// cancelOnLoss returns a ctx that is cancelled with h.Err() when h ends,
// and a stop that cancels it and waits for its goroutine.
func cancelOnLoss(ctx context.Context, h ender) (context.Context, func()) {
	fctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-h.Done():
			cancel(h.Err())
		case <-fctx.Done():
		}
	})
	return fctx, func() { cancel(context.Canceled); wg.Wait() }
}

// doRelease releases h; a loss is reported once, named for Do.
func doRelease(ctx context.Context, h *Hold) error {
	err := h.Release(ctx)
	if errors.Is(err, ErrLockLost) {
		return callErr(h.Err(), "lock %q: lost while Do's fn ran", h.id)
	}
	return err
}
