package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/chaos"
)

// The shape of one hold: writesPerHold guarded writes workTime apart.
const (
	writesPerHold = 3
	workTime      = 100 * time.Millisecond
	opTimeout     = 3 * time.Second
	holdTimeout   = 10 * time.Second
)

// tenure is a Hold or a Term.
type tenure interface {
	Done() <-chan struct{}
	Err() error
	Key() string
	Token() int64
	Release(ctx context.Context) error
}

type termTenure struct{ *brokerlock.Term }

func (t termTenure) Release(ctx context.Context) error { return t.Resign(ctx) }

type worker struct {
	cfg    config
	client *clientv3.Client
	lock   *brokerlock.BrokerLock
	log    *chaos.Log
	data   string // prefix of the guarded data keys
	writes int
}

// loop holds, works and releases until ctx is done.
func (w *worker) loop(ctx context.Context) {
	for seq := 1; ctx.Err() == nil; seq++ {
		call := time.Now().UnixNano()
		h, err := w.take(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.add(chaos.Event{Call: call, Op: chaos.OpHoldFail, Seq: seq, Err: err.Error()})
				sleep(ctx, 200*time.Millisecond)
			}
			continue
		}
		w.add(chaos.Event{Call: call, Op: chaos.OpAcquired, Seq: seq, Key: h.Key(), Token: h.Token(), Shared: w.cfg.reader})
		seen := make(chan struct{})
		go func() {
			defer close(seen)
			<-h.Done()
			w.add(chaos.Event{Op: chaos.OpDone, Seq: seq, Err: errText(h.Err())})
		}()
		w.work(ctx, h)
		w.add(chaos.Event{Op: chaos.OpRelease, Seq: seq})
		rctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err = h.Release(rctx)
		cancel()
		<-seen
		w.add(chaos.Event{Op: chaos.OpReleased, Seq: seq, Err: errText(err)})
		sleep(ctx, time.Duration(rand.IntN(50))*time.Millisecond)
	}
}

func (w *worker) take(ctx context.Context) (tenure, error) {
	ctx, cancel := context.WithTimeout(ctx, holdTimeout)
	defer cancel()
	opts := brokerlock.Options{TTL: w.cfg.ttl, KeepAlive: true, Timeout: -1}
	id := w.cfg.mode
	switch w.cfg.mode {
	case "semaphore":
		return w.lock.Semaphore(id, w.cfg.limit, opts).Hold(ctx)
	case "rwlock":
		if w.cfg.reader {
			return w.lock.RWLock(id, opts).RHold(ctx)
		}
		return w.lock.RWLock(id, opts).Hold(ctx)
	case "election":
		t, err := w.lock.Election(id, brokerlock.ElectionOptions{TTL: w.cfg.ttl}).Campaign(ctx, fmt.Sprintf("w%d", w.cfg.id))
		if err != nil {
			return nil, err
		}
		return termTenure{t}, nil
	}
	return w.lock.Item(id, opts).Hold(ctx)
}

// work does the guarded work of one hold. It checks Done before each
// write, as a careful holder does; but once Done has closed it makes one
// more (late) write, as a holder that was paused between its check and
// its write would: the fence must refuse it unless the key still holds.
func (w *worker) work(ctx context.Context, h tenure) {
	for range writesPerHold {
		if ended(h) {
			w.step(h, true)
			return
		}
		w.step(h, false)
		select {
		case <-time.After(workTime):
		case <-h.Done():
		case <-ctx.Done():
			return
		}
	}
}

// step is one guarded step of the workload.
func (w *worker) step(h tenure, late bool) {
	switch {
	case w.cfg.mode == "semaphore":
		w.fenced(h, late, w.data+fmt.Sprintf("w%d", w.cfg.id), w.mark(h))
	case w.cfg.mode == "rwlock" && w.cfg.reader:
		w.readPair(h, late)
	case w.cfg.mode == "rwlock":
		v := w.mark(h)
		if w.fenced(h, late, w.data+"a", v) == chaos.Applied {
			w.fenced(h, late, w.data+"b", v)
		}
	default:
		w.increment(h, late)
	}
}

// mark is a unique value naming the hold that wrote it: "wID n token
// key" (the checks read the last two fields).
func (w *worker) mark(h tenure) string {
	w.writes++
	return fmt.Sprintf("w%d %d %d %s", w.cfg.id, w.writes, h.Token(), h.Key())
}

func ended(h tenure) bool {
	select {
	case <-h.Done():
		return true
	default:
		return false
	}
}

func (w *worker) add(ev chaos.Event) {
	ev.W = w.cfg.id
	w.log.Add(ev)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var _ tenure = (*brokerlock.Hold)(nil)
