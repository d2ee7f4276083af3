package chaos

import (
	"context"
	"encoding/json"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ServerEvent is one change under the run's prefix, as etcd applied it.
type ServerEvent struct {
	Rev       int64  `json:"rev"`
	Key       string `json:"key"`
	Value     string `json:"value,omitempty"`
	Put       bool   `json:"put"`
	CreateRev int64  `json:"create,omitempty"`
}

// ReadServerHistory reads every change under prefix since revision 1 (the
// harness's etcd never compacts): a watch from revision 1 up to a
// sentinel key put at the end.
func ReadServerHistory(ctx context.Context, cli *clientv3.Client, prefix string) ([]ServerEvent, error) {
	end, err := cli.Put(ctx, prefix+"~end", "")
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []ServerEvent
	for resp := range cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(1)) {
		if err := resp.Err(); err != nil {
			return nil, err
		}
		for _, ev := range resp.Events {
			if ev.Kv.ModRevision >= end.Header.Revision {
				return out, nil
			}
			out = append(out, ServerEvent{Rev: ev.Kv.ModRevision, Key: string(ev.Kv.Key), Value: string(ev.Kv.Value),
				Put: ev.Type == clientv3.EventTypePut, CreateRev: ev.Kv.CreateRevision})
		}
	}
	return nil, errors.Join(errors.New("the watch of the server's history ended early"), ctx.Err())
}

// sharedKey reports whether a queue key's value is an RWLock reader's.
func sharedKey(value string) bool {
	var v struct {
		Shared bool `json:"shared"`
	}
	return json.Unmarshal([]byte(value), &v) == nil && v.Shared
}
