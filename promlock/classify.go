package promlock

import (
	"context"
	"errors"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Label values of result (acquisitions, waits, releases), kind (errors)
// and end (hold durations).
const (
	resultAcquired = "acquired"
	resultLocked   = "locked"
	resultTimeout  = "timeout"
	resultCanceled = "canceled"
	resultLost     = "lost"
	resultClosed   = "closed"
	resultReleased = "released"
	resultError    = "error"
	resultOK       = "ok"

	endReleased = resultReleased
	endLost     = resultLost
	endClosed   = resultClosed
)

// acquireResults and releaseResults are every result an Acquire and a
// Release can record.
var (
	acquireResults = []string{resultAcquired, resultLocked, resultTimeout, resultCanceled, resultLost, resultClosed, resultError}
	releaseResults = []string{resultOK, resultLost, resultError}
)

// classify names what err, from a call made with ctx, is: acquired (nil),
// closed, locked, lost, released, timeout, canceled or error. A transport
// error that hides ctx's reason is classified by ctx.Err(). BrokerLock
// gives adapters a ctx with Options.Timeout as its deadline, so its
// timeouts are context.DeadlineExceeded here.
func classify(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return resultAcquired
	case errors.Is(err, brokerlock.ErrClosed):
		return resultClosed
	case errors.Is(err, brokerlock.ErrLocked):
		return resultLocked
	case errors.Is(err, brokerlock.ErrLockLost):
		return resultLost
	case errors.Is(err, brokerlock.ErrReleased):
		return resultReleased
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, brokerlock.ErrTimeout):
		return resultTimeout
	case errors.Is(err, context.Canceled):
		return resultCanceled
	case ctx.Err() != nil:
		return classify(context.Background(), ctx.Err())
	}
	return resultError
}

// releaseResult names what a Release returned: ok, lost or error.
func releaseResult(err error) string {
	switch {
	case err == nil:
		return resultOK
	case errors.Is(err, brokerlock.ErrLockLost):
		return resultLost
	}
	return resultError
}

// endOf names how a hold whose Err is err ended: released, closed (the
// adapter closed while it was held) or lost. fallback names the end of a
// hold whose Err is still nil, which only an adapter that breaks the
// Acquisition contract shows.
func endOf(err error, fallback string) string {
	switch {
	case err == nil:
		return fallback
	case errors.Is(err, brokerlock.ErrReleased):
		return endReleased
	case errors.Is(err, brokerlock.ErrClosed):
		return endClosed
	}
	return endLost
}
