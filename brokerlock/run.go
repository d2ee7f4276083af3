package brokerlock

import (
	"context"
	"errors"
	"time"
)

// Run is the loop a replicated service runs to lead: it campaigns with
// value, calls fn with the term once elected, and keeps doing so until
// fn returns while still leading, or ctx is done.
//
// fn's ctx is cancelled when the term ends (context.Cause wraps
// ErrLockLost) or ctx is done. When fn returns after its term was lost,
// Run campaigns again (a new term with a larger token) and drops fn's
// error, which the loss caused. When fn returns while still leading, Run
// resigns and returns fn's error, joined with Resign's if that failed.
// When ctx is done, also while fn runs or returns, Run resigns and
// returns an error wrapping ctx's. While campaigning it retries
// transport errors and a candidacy lost while waiting, with backoff
// (100ms doubling up to 5s); it returns errors wrapping ErrInvalid,
// ErrPermission or ErrClosed. A panic in fn resigns, then goes on.
func (e *Election) Run(ctx context.Context, value string, fn func(ctx context.Context, t *Term) error) error {
	if err := e.check(value); err != nil {
		return err
	}
	for backoff := minBackoff; ; {
		t, err := e.Campaign(ctx, value)
		switch {
		case ctx.Err() != nil:
			if t != nil { // elected just as ctx ended
				_ = t.Resign(ctx)
			}
			return e.runDone(ctx, err)
		case err != nil && !retryable(err):
			return err
		case err != nil:
			if !sleepCtx(ctx, backoff) {
				return e.runDone(ctx, err)
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		if done, err := e.lead(ctx, t, fn); done {
			return err
		}
	}
}

// Backoff between failed campaigns.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// lead runs fn during term t. done is false when the term was lost (Run
// campaigns again); otherwise err is what Run returns.
func (e *Election) lead(ctx context.Context, t *Term, fn func(context.Context, *Term) error) (done bool, err error) {
	fctx, stop := cancelOnLoss(ctx, t)
	defer func() {
		if r := recover(); r != nil {
			stop()
			_ = t.Resign(context.WithoutCancel(ctx))
			panic(r)
		}
	}()
	ferr := fn(fctx, t)
	stop()
	switch {
	case ctx.Err() != nil:
		return true, errors.Join(e.runDone(ctx, ferr), lostIsNoError(t.Resign(ctx)))
	case t.Err() != nil && !errors.Is(t.Err(), ErrReleased):
		_ = t.Resign(ctx) // ErrLockLost: why we campaign again
		return errors.Is(t.Err(), ErrClosed), t.Err()
	}
	return true, errors.Join(ferr, t.Resign(ctx))
}

// runDone is Run's error once ctx is done; cause is the error that ended
// the last step, if it says more than ctx's.
func (e *Election) runDone(ctx context.Context, cause error) error {
	err := callErr(ctx.Err(), "election %q: run", e.name)
	if cause != nil && !errors.Is(cause, ctx.Err()) {
		return errors.Join(err, cause)
	}
	return err
}

// lostIsNoError drops a loss found by the Resign that follows ctx's end:
// Run's caller stopped it, and the term being over is the point.
func lostIsNoError(err error) error {
	if errors.Is(err, ErrLockLost) {
		return nil
	}
	return err
}

// retryable: Run campaigns again after err. Bad input, a refusal and a
// closed adapter will not pass.
func retryable(err error) bool {
	return !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrPermission) && !errors.Is(err, ErrClosed)
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
