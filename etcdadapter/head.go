package etcdadapter

import (
	"context"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/latest"
)

// Head returns the key with the lowest create revision under lock id's
// prefix, whoever wrote it (an election's leader, the lock's holder), in
// one linearizable read.
func (a *Adapter) Head(ctx context.Context, id string) (brokerlock.Leader, error) {
	if a.isClosed() {
		return brokerlock.Leader{}, brokerlock.ErrClosed
	}
	head, _, err := a.readHead(ctx, LockPrefix(a.prefix, id), 0)
	return head, err
}

// readHead reads the head of pfx at revision rev (0: now) and returns it
// with the revision it was read at.
func (a *Adapter) readHead(ctx context.Context, pfx string, rev int64) (brokerlock.Leader, int64, error) {
	opts := append([]clientv3.OpOption{clientv3.WithRev(rev)}, firstCreate...)
	resp, err := a.client.Get(ctx, pfx, opts...)
	if err != nil {
		return brokerlock.Leader{}, 0, denied(fmt.Errorf("etcdadapter: read %q: %w", pfx, err))
	}
	if len(resp.Kvs) == 0 {
		return brokerlock.Leader{}, resp.Header.Revision, nil
	}
	return leaderOf(resp.Kvs[0]), resp.Header.Revision, nil
}

func leaderOf(kv *mvccpb.KeyValue) brokerlock.Leader {
	return brokerlock.Leader{Key: string(kv.Key), Value: string(kv.Value), Token: kv.CreateRevision}
}

// WatchHead sends lock id's head now and after every change, from one
// goroutine of the adapter's per call, which ends when ctx is done or the
// adapter closes (Close waits for it). It reads the head once, then
// follows one watch of the lock's prefix from the revision after that
// read: a put on the head's key is a new value, a new key while the queue
// was empty is the new head, and only a delete of the head costs a read
// (at the delete's revision, so the state never goes back in time).
// Other keys' events cost nothing. A broken watch (compaction, a member
// that lost its leader or restarted) is replaced after a fresh read.
func (a *Adapter) WatchHead(ctx context.Context, id string) <-chan brokerlock.Leader {
	out := make(chan brokerlock.Leader)
	ctx, cancel := context.WithCancel(ctx)
	started := a.goTracked(func() {
		defer cancel()
		defer close(out)
		defer context.AfterFunc(a.ctx, cancel)()
		a.followHead(ctx, LockPrefix(a.prefix, id), latest.New(out))
	})
	if !started {
		cancel()
		close(out)
	}
	return out
}

// headWatch is the state followHead keeps between watch responses.
type headWatch struct {
	a    *Adapter
	pfx  string
	head brokerlock.Leader
	rev  int64 // the revision head is known at
}

// followHead keeps s's state the newest head until ctx ends.
func (a *Adapter) followHead(ctx context.Context, pfx string, s *latest.Sender[brokerlock.Leader]) {
	w := &headWatch{a: a, pfx: pfx}
	for ctx.Err() == nil {
		if !w.resync(ctx, s) {
			return
		}
		// relayed from the adapter's stream, which is left if found
		// silent (relay.go)
		wch, stop := a.own.relay(pfx, prefixEnd(pfx), w.rev+1, true, headBuffer)
		w.follow(ctx, wch, s)
		stop()
		// A watch that keeps breaking (a member without leader, a
		// refusal) must not spin: pause before the next read.
		if !sendWhileWaiting(ctx, s, retryInterval) {
			return
		}
	}
}

// resync reads the head now, retrying with backoff; false when ctx ended.
// Linearizable reads never go back in time, so neither does the state.
func (w *headWatch) resync(ctx context.Context, s *latest.Sender[brokerlock.Leader]) bool {
	for backoff := retryInterval; ; backoff = min(2*backoff, 2*time.Second) {
		head, rev, err := w.readAt(ctx, 0)
		if err == nil {
			w.head, w.rev = head, rev
			s.Set(head)
			return true
		}
		if !sendWhileWaiting(ctx, s, backoff) {
			return false
		}
	}
}

func (w *headWatch) readAt(ctx context.Context, rev int64) (brokerlock.Leader, int64, error) {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return w.a.readHead(rctx, w.pfx, rev)
}

// sendWhileWaiting waits d, delivering s's pending state meanwhile; false
// when ctx ended.
func sendWhileWaiting(ctx context.Context, s *latest.Sender[brokerlock.Leader], d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case s.Out() <- s.Next():
			s.Sent()
		case <-timer.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// follow applies wch's events to the state until the watch breaks or ctx
// ends.
func (w *headWatch) follow(ctx context.Context, wch <-chan *pb.WatchResponse, s *latest.Sender[brokerlock.Leader]) {
	for {
		select {
		case s.Out() <- s.Next():
			s.Sent()
		case resp, ok := <-wch:
			if !ok || resp.Canceled || !w.apply(ctx, resp.Events) {
				return
			}
			s.Set(w.head)
		case <-ctx.Done():
			return
		}
	}
}

// apply moves the head along events, in order; false when a read it
// needed failed (the caller resyncs).
func (w *headWatch) apply(ctx context.Context, events []*mvccpb.Event) bool {
	for _, ev := range events {
		kv := ev.Kv
		switch {
		case ev.Type == mvccpb.DELETE && string(kv.Key) == w.head.Key:
			head, _, err := w.readAt(ctx, kv.ModRevision)
			if err != nil { // compacted already, or unreachable
				return false
			}
			w.head = head
		case ev.Type == mvccpb.PUT && (w.head.Key == "" || string(kv.Key) == w.head.Key && kv.CreateRevision == w.head.Token):
			w.head = leaderOf(kv) // a new value, or the first key of an empty queue
		}
		w.rev = kv.ModRevision
	}
	return true
}
