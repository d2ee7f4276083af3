package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Job is the critical work. It runs while h holds the lock and must return
// promptly once ctx is done: ctx is cancelled the moment the lock is lost
// (context.Cause wraps brokerlock.ErrLockLost) and on SIGTERM.
type Job func(ctx context.Context, h *brokerlock.Hold) error

// Replica is one pod: it waits for Lock, runs Job while holding it, and
// waits again when the hold ends, until its ctx is done.
type Replica struct {
	Lock *brokerlock.Item
	Job  Job
	Log  *slog.Logger
}

const (
	// releaseTimeout bounds the Release on the way out; keep it well
	// under terminationGracePeriodSeconds.
	releaseTimeout = 5 * time.Second
	// retryDelay is the pause after a failed wait or a failed job.
	retryDelay = time.Second
)

// Run returns nil when ctx is done (SIGTERM), after the job stopped and
// the lock was released, so that the next replica takes over at once. It
// returns an error only for what retrying cannot fix: a bad lock option
// or a closed adapter.
func (r *Replica) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		r.Log.Info("waiting for the lock")
		h, err := r.Lock.Hold(ctx)
		switch {
		case err == nil:
			if r.lead(ctx, h) != nil {
				pause(ctx, retryDelay) // the job failed: don't spin
			}
		case ctx.Err() != nil: // SIGTERM while waiting
		case errors.Is(err, brokerlock.ErrInvalid), errors.Is(err, brokerlock.ErrClosed):
			return err
		default: // etcd unreachable, for instance
			r.Log.Warn("cannot wait for the lock; retrying", "err", err)
			pause(ctx, retryDelay)
		}
	}
	return nil
}

// lead runs the job while h holds the lock, then releases it. It returns
// the job's error if the job failed by itself.
func (r *Replica) lead(ctx context.Context, h *brokerlock.Hold) error {
	log := r.Log.With("token", h.Token())
	log.Info("holding the lock: job started")
	jobCtx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-h.Done(): // lost: stop the job now
			cancel(h.Err())
		case <-jobCtx.Done():
		}
	})
	err := r.Job(jobCtx, h)
	cancel(context.Canceled)
	wg.Wait()

	switch lost := h.Err(); {
	case lost != nil:
		log.Warn("lost the lock: job stopped; waiting for the lock again", "err", lost)
		err = nil
	case ctx.Err() != nil:
		log.Info("terminating: job stopped; releasing the lock")
		err = nil
	case err != nil:
		log.Error("job failed; releasing the lock", "err", err)
	default:
		log.Info("job finished; releasing the lock")
	}
	// ctx may be done (SIGTERM): release on a context of our own.
	rctx, cancelRelease := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancelRelease()
	if rerr := h.Release(rctx); rerr != nil && !errors.Is(rerr, brokerlock.ErrLockLost) {
		log.Warn("release failed; the adapter keeps trying", "err", rerr)
	}
	return err
}

// pause waits d or until ctx is done.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
