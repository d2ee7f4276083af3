package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Job is the critical work. It runs while this replica leads (term t)
// and must return promptly once ctx is done: ctx is cancelled the moment
// the term is lost (context.Cause wraps brokerlock.ErrLockLost) and on
// SIGTERM.
type Job func(ctx context.Context, t *brokerlock.Term) error

// Replica is one pod: it campaigns in Election with its Value (the pod
// name, which `brokerlock elect --listen` shows), runs Job while it leads,
// and campaigns again when the term ends, until its ctx is done.
type Replica struct {
	Election *brokerlock.Election
	Value    string
	Job      Job
	Log      *slog.Logger
}

const (
	// resignTimeout is how long the Resign on the way out may take at
	// most: Election.Run resigns on a context of the adapter's own,
	// bounded to 5s. Keep terminationGracePeriodSeconds above it.
	resignTimeout = 5 * time.Second
	// retryDelay is the pause after a failed job.
	retryDelay = time.Second
)

// Run returns nil when ctx is done (SIGTERM), after the job stopped and
// the replica resigned, so that the next replica takes over at once. It
// returns an error only for what retrying cannot fix: a bad option, a
// refused permission or a closed adapter. Election.Run does the rest:
// it campaigns again after a lost term, retries etcd being unreachable,
// and resigns whenever the job returns.
func (r *Replica) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		r.Log.Info("campaigning")
		err := r.Election.Run(ctx, r.Value, r.lead)
		switch {
		case ctx.Err() != nil: // SIGTERM: Run resigned
		case errors.Is(err, brokerlock.ErrInvalid), errors.Is(err, brokerlock.ErrPermission),
			errors.Is(err, brokerlock.ErrClosed):
			return err
		case err != nil:
			r.Log.Error("job failed; resigned", "err", err)
			pause(ctx, retryDelay) // don't spin
		default:
			r.Log.Info("job finished; resigned")
		}
	}
	return nil
}

// lead runs the job during term t and says how it ended.
func (r *Replica) lead(ctx context.Context, t *brokerlock.Term) error {
	log := r.Log.With("token", t.Token())
	log.Info("leading: job started")
	err := r.Job(ctx, t)
	switch {
	case t.Err() != nil:
		log.Warn("lost the term: job stopped; campaigning again", "err", t.Err())
	case ctx.Err() != nil:
		log.Info("terminating: job stopped; resigning")
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
