package main

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/chaos"
)

// fenced puts value at key only while h's key still holds
// (etcdadapter.IsOwner) and logs the outcome.
func (w *worker) fenced(h tenure, late bool, key, value string) string {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	ev := chaos.Event{Call: time.Now().UnixNano(), Op: chaos.OpWrite, Key: h.Key(), Token: h.Token(), Late: late, Mark: value}
	resp, err := w.client.Txn(ctx).If(etcdadapter.IsOwner(h)).Then(clientv3.OpPut(key, value)).Commit()
	ev.Outcome, ev.Rev, ev.Err = outcome(resp, err)
	w.add(ev)
	return ev.Outcome
}

// increment reads the counter and writes counter+1, guarded by h's fence
// and by the counter's ModRevision from the read: a lost update is
// impossible unless the fence fails.
func (w *worker) increment(h tenure, late bool) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	counter := w.data + "counter"
	rd := chaos.Event{Call: time.Now().UnixNano(), Op: chaos.OpRead}
	got, err := w.client.Get(ctx, counter)
	if err != nil {
		rd.Err = err.Error()
		w.add(rd)
		return
	}
	if len(got.Kvs) > 0 {
		fmt.Sscan(string(got.Kvs[0].Value), &rd.Val)
		rd.Rev = got.Kvs[0].ModRevision
	}
	w.add(rd)
	ev := chaos.Event{Call: time.Now().UnixNano(), Op: chaos.OpWrite, Key: h.Key(), Token: h.Token(),
		Late: late, From: rd.Val, FromRev: rd.Rev, Mark: fmt.Sprintf("%d %s", rd.Val+1, w.mark(h))}
	resp, err := w.client.Txn(ctx).
		If(etcdadapter.IsOwner(h), clientv3.Compare(clientv3.ModRevision(counter), "=", rd.Rev)).
		Then(clientv3.OpPut(counter, ev.Mark)).
		Commit()
	ev.Outcome, ev.Rev, ev.Err = outcome(resp, err)
	w.add(ev)
}

// readPair reads the RW pair in one Get (one revision), fenced as the
// writes are: in a txn that reads only while h's key still holds. An
// unfenced read that was in flight when the hold was lost can be served
// after a writer got in and see the pair torn. late is set if the hold's
// Done had closed before the read began.
func (w *worker) readPair(h tenure, late bool) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	ev := chaos.Event{Call: time.Now().UnixNano(), Op: chaos.OpRead, Key: h.Key(), Token: h.Token(), Late: late}
	resp, err := w.client.Txn(ctx).If(etcdadapter.IsOwner(h)).Then(clientv3.OpGet(w.data, clientv3.WithPrefix())).Commit()
	ev.Outcome, ev.Rev, ev.Err = outcome(resp, err)
	if ev.Outcome == chaos.Applied {
		for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
			switch string(kv.Key) {
			case w.data + "a":
				ev.A = string(kv.Value)
			case w.data + "b":
				ev.B = string(kv.Value)
			}
		}
	}
	w.add(ev)
}

func outcome(resp *clientv3.TxnResponse, err error) (string, int64, string) {
	switch {
	case err != nil:
		return chaos.Unknown, 0, err.Error()
	case resp.Succeeded:
		return chaos.Applied, resp.Header.Revision, ""
	}
	return chaos.Refused, resp.Header.Revision, ""
}
