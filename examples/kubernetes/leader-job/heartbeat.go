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

// errFenced: etcd refused a write because the hold no longer holds the lock.
var errFenced = errors.New("heartbeat refused: this replica no longer holds the lock")

// Heartbeat is the stub job: at once and then every interval it writes
// "<identity> token=<token> at=<time>" to key, fenced with the hold's
// token, until ctx is done.
func Heartbeat(client *clientv3.Client, key, identity string, every time.Duration) Job {
	return func(ctx context.Context, h *brokerlock.Hold) error {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			value := fmt.Sprintf("%s token=%d at=%s", identity, h.Token(), time.Now().UTC().Format(time.RFC3339Nano))
			if err := writeFenced(ctx, client, h, key, value); err != nil && ctx.Err() == nil {
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

// writeFenced puts key=value only while h holds the lock, checked by etcd
// in the same transaction: a replica that paused (GC, a frozen node) and
// missed its loss cannot overwrite its successor's writes.
func writeFenced(ctx context.Context, client *clientv3.Client, h *brokerlock.Hold, key, value string) error {
	resp, err := client.Txn(ctx).
		If(etcdadapter.IsOwner(h)).
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
