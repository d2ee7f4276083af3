package etcdadapter

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
)

// attempts calls op until it succeeds, fails for good (see mayPass), or
// ctx ends, giving each call at most per. A request sent on a silent
// connection (a member whose host vanished without a reset) hangs until
// its deadline; the next attempt may go to a member that answers. op must
// be safe to repeat: a renewal, a read, a fenced delete.
func attempts(ctx context.Context, per time.Duration, op func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, per)
		err := op(actx)
		cancel()
		if err == nil || !mayPass(err) || ctx.Err() != nil || closing(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(retryInterval):
		}
	}
}

// closing: the client was closed (a cancelled attempt that was not
// cancelled by its deadline) or the lease stopped renewing; no attempt can
// work.
func closing(err error) bool {
	return errors.Is(err, context.Canceled) || errorCode(err) == codes.Canceled || errors.Is(err, errStreamClosed)
}

// requestTimeout bounds one attempt of a read or a fenced delete.
const requestTimeout = 2 * time.Second
