package etcdadapter

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// waitTurn waits until no key under the lock's prefix is older than ours.
// It watches only the predecessor, from the current revision (a watch
// from an older revision would wait for etcd's catch-up loop), and reads
// again after the watch starts, so a delete between read and watch is not
// missed. A handoff costs one watch event and one read.
func (q *acquisition) waitTurn(ctx context.Context) error {
	var w predecessorWatch
	defer w.stop()
	for {
		pred, err := q.predecessor(ctx)
		if err != nil || pred == "" {
			return err
		}
		if pred != w.key {
			if err := w.start(ctx, q.a.client, pred); err != nil {
				return err
			}
			continue
		}
		if err := q.awaitDelete(ctx, &w); err != nil {
			return err
		}
	}
}

// predecessor returns the key just older than ours, "" if ours is the
// oldest, and ErrLockLost if ours is gone.
func (q *acquisition) predecessor(ctx context.Context) (string, error) {
	var resp *clientv3.TxnResponse
	err := attempts(ctx, requestTimeout, func(ctx context.Context) (err error) {
		resp, err = q.a.client.Txn(ctx).Then(
			clientv3.OpGet(q.pfx, append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(q.rev-1))...),
			clientv3.OpGet(q.key, clientv3.WithKeysOnly())).Commit()
		return err
	})
	if err != nil {
		return "", err
	}
	own := resp.Responses[1].GetResponseRange().Kvs
	if len(own) == 0 || own[0].CreateRevision != q.rev {
		q.lose(errKeyDeleted)
		return "", q.state.Err()
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		return string(kvs[0].Key), nil
	}
	return "", nil
}

// awaitDelete waits for an event on the predecessor's watch; the caller
// reads again to see what it meant.
func (q *acquisition) awaitDelete(ctx context.Context, w *predecessorWatch) error {
	select {
	case _, ok := <-w.ch:
		if !ok {
			w.stop() // broken watch: start a new one
		}
		return nil
	case <-q.state.Done():
		return q.state.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// predecessorWatch is the one watch a waiter keeps, on one key.
type predecessorWatch struct {
	key    string
	ch     clientv3.WatchChan
	cancel context.CancelFunc
}

// start watches key for deletes from the current revision and returns
// once etcd has created the watch.
func (w *predecessorWatch) start(ctx context.Context, client *clientv3.Client, key string) error {
	w.stop()
	wctx, cancel := context.WithCancel(ctx)
	ch := client.Watch(wctx, key, clientv3.WithCreatedNotify(), clientv3.WithFilterPut())
	resp, ok := <-ch
	if !ok || !resp.Created {
		cancel()
		return watchError(ctx, resp, ok)
	}
	w.key, w.ch, w.cancel = key, ch, cancel
	return nil
}

func watchError(ctx context.Context, resp clientv3.WatchResponse, ok bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok && resp.Err() != nil {
		return resp.Err()
	}
	return fmt.Errorf("etcdadapter: watch ended before it started: %w", brokerlock.ErrClosed)
}

func (w *predecessorWatch) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	*w = predecessorWatch{}
}
