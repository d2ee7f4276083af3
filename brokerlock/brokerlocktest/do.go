package brokerlocktest

import (
	"context"
	"errors"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// do: Do runs fn under the lock and releases it afterwards, when fn
// returns an error, when it panics, and when the lock is lost under it
// (fn's ctx is cancelled then, with the loss as its cause).
func (s suite) do(t *testing.T) {
	for _, p := range []property{
		{"ReturnsFnError", s.doReturnsFnError},
		{"ReleasesOnPanic", s.doReleasesOnPanic},
		{"CancelsFnOnLoss", s.doCancelsFnOnLoss},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			p.test(t)
		})
	}
}

// doReturnsFnError: fn runs once, with the lock held; Do returns fn's
// error (or nil) and the lock is free afterwards.
func (s suite) doReturnsFnError(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	it, other := bls[0].Item(id, waitOpts), bls[1].Item(id, waitOpts)
	errFn := errors.New("fn failed")
	for _, want := range []error{errFn, nil} {
		calls := 0
		err := it.Do(ctx, func(context.Context) error {
			calls++
			wantReserved(t, ctx, "inside Do", true, other)
			return want
		})
		if !errors.Is(err, want) || (want == nil && err != nil) || calls != 1 {
			t.Errorf("Do: got error %v after %d calls of fn, want %v after 1", err, calls, want)
		}
		wantReserved(t, ctx, "after Do", false, other)
		wantTryHold(t, ctx, "another client after Do", other)
	}
}

// doReleasesOnPanic: fn's panic goes on out of Do, after the release.
func (s suite) doReleasesOnPanic(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	it, other := bls[0].Item(id, waitOpts), bls[1].Item(id, waitOpts)
	type boom struct{}
	got := func() (v any) {
		defer func() { v = recover() }()
		_ = it.Do(ctx, func(context.Context) error { panic(boom{}) })
		return nil
	}()
	if got != (boom{}) {
		t.Errorf("recovered from Do: got %v, want fn's panic value", got)
	}
	wantReserved(t, ctx, "after Do panicked", false, other)
	wantTryHold(t, ctx, "another client after Do panicked", other)
}

// doCancelsFnOnLoss: when the TTL ends the hold, fn's ctx is cancelled
// with a cause wrapping ErrLockLost, and Do's error wraps ErrLockLost.
func (s suite) doCancelsFnOnLoss(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	bls := s.locks(t, 2)
	it := bls[0].Item(id, brokerlock.Options{TTL: lossTTL, Timeout: waitBound})
	var cause, fnErr error
	err := it.Do(ctx, func(fctx context.Context) error {
		if !waitClosed(fctx.Done(), lossTTL+ttlSlack) {
			return errors.New("fn's ctx still open after the TTL")
		}
		cause, fnErr = context.Cause(fctx), fctx.Err()
		return fnErr
	})
	wantErrIs(t, "Do's error after the loss", err, brokerlock.ErrLockLost)
	wantErrIs(t, "context.Cause of fn's ctx", cause, brokerlock.ErrLockLost)
	wantErrIs(t, "fn's ctx.Err()", fnErr, context.Canceled)
	wantTryHold(t, ctx, "another client after the loss", bls[1].Item(id, waitOpts))
}

// doNotCalled is a Do fn that must not run.
func doNotCalled(t *testing.T, why string) func(context.Context) error {
	return func(context.Context) error {
		t.Errorf("Do called fn %s", why)
		return nil
	}
}
