package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// errFenced: etcd refused a write because the term is over.
var errFenced = errors.New("heartbeat refused: this replica no longer leads")

// Heartbeat is the stub job: at once and then every interval it writes
// "<identity> token=<token> at=<time>" to key, fenced with the term's
// token, until ctx is done.
func Heartbeat(client *clientv3.Client, key, identity string, every time.Duration) Job {
	return func(ctx context.Context, t *brokerlock.Term) error {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			value := fmt.Sprintf("%s token=%d at=%s", identity, t.Token(), time.Now().UTC().Format(time.RFC3339Nano))
			if err := writeFenced(ctx, client, t, key, value); err != nil && ctx.Err() == nil {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}

// writeFenced puts key=value only while term t lasts, checked by etcd in
// the same transaction: a replica that paused (GC, a frozen node) and
// missed its loss cannot overwrite its successor's writes.
func writeFenced(ctx context.Context, client *clientv3.Client, t *brokerlock.Term, key, value string) error {
	resp, err := client.Txn(ctx).
		If(etcdadapter.IsOwner(t)).
		Then(clientv3.OpPut(key, value)).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return errFenced
	}
	return nil
}
