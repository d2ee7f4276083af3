package brokerlocktest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// rwlocks returns the RWLock id on n new clients.
func (s suite) rwlocks(t *testing.T, id string, n int) []*brokerlock.RWLock {
	t.Helper()
	rws := make([]*brokerlock.RWLock, n)
	for i, bl := range s.locks(t, n) {
		rws[i] = bl.RWLock(id, waitOpts)
	}
	return rws
}

// rwReadersShare: readers on three clients hold at once; a writer's
// TryHold then fails with ErrLocked; Inspect (of an Inspector) shows the
// readers as holders, Shared.
func (s suite) rwReadersShare(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	rws := s.rwlocks(t, id, 4)
	for _, rw := range rws[:3] {
		mustHoldFrom(t, ctx, "TryRHold with only readers holding", rw.TryRHold)
	}
	_, err := rws[3].TryHold(ctx)
	wantErrIs(t, "a writer's TryHold while readers hold", err, brokerlock.ErrLocked)
	info, err := rws[3].Inspect(ctx)
	if err == nil && (len(info.Holders) != 3 || info.Holder == nil || !info.Holder.Shared) {
		t.Errorf("Inspect while 3 readers hold: got holders %+v, want 3, Shared", info.Holders)
	}
}

// rwWriterExcludes: while a writer holds, a reader's TryRHold fails with
// ErrLocked and its RHold waits until the writer releases; an Item on the
// same id is a writer too.
func (s suite) rwWriterExcludes(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	rws := s.rwlocks(t, id, 2)
	for _, c := range []struct {
		name string
		hold func(context.Context) (*brokerlock.Hold, error)
	}{{"RWLock writer", rws[0].Hold}, {"Item", s.locks(t, 1)[0].Item(id, waitOpts).Hold}} {
		w := mustHoldFrom(t, ctx, c.name+"'s Hold", c.hold)
		_, err := rws[1].TryRHold(ctx)
		wantErrIs(t, "TryRHold while a "+c.name+" holds", err, brokerlock.ErrLocked)
		read := make(chan *brokerlock.Hold, 1)
		go func() { read <- holdOrNil(t, ctx, "RHold behind a "+c.name, rws[1].RHold) }()
		select {
		case <-read:
			t.Errorf("a reader held while a %s held", c.name)
		case <-time.After(queueDelay):
		}
		wantNoErr(t, c.name+"'s Release", w.Release(ctx))
		if r := receive(t, "the reader's hold", read); r != nil {
			wantNoErr(t, "the reader's Release", r.Release(ctx))
		}
	}
}

// rwWriterNotStarved: a reader that comes after a waiting writer waits
// behind it, though another reader holds: the writer holds once the first
// reader releases, and the second reader after the writer.
func (s suite) rwWriterNotStarved(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	rws := s.rwlocks(t, id, 1)
	first := mustHoldFrom(t, ctx, "the first reader's RHold", rws[0].RHold)
	bl, p := s.probed(t)
	order := make(chan string, 2)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, c := range []struct {
		name string
		hold func(context.Context) (*brokerlock.Hold, error)
	}{{"writer", bl.RWLock(id, waitOpts).Hold}, {"second reader", bl.RWLock(id, waitOpts).RHold}} {
		wg.Go(func() {
			if h := holdOrNil(t, ctx, c.name, c.hold); h != nil {
				order <- c.name
				time.Sleep(queueDelay) // hold a while: the other must not get in meanwhile
				wantNoErr(t, c.name+"'s Release", h.Release(ctx))
			}
		})
		p.waitQueued(t)
	}
	_, err := s.rwlocks(t, id, 1)[0].TryRHold(ctx)
	wantErrIs(t, "TryRHold behind a waiting writer", err, brokerlock.ErrLocked)
	if len(order) != 0 {
		t.Errorf("held while the first reader held: got %q, want nobody (the writer waits, the reader behind it too)", <-order)
	}
	wantNoErr(t, "the first reader's Release", first.Release(ctx))
	got := []string{receive(t, "the next holder", order), receive(t, "the last holder", order)}
	if got[0] != "writer" || got[1] != "second reader" {
		t.Errorf("order after the first reader released: got %q, want the writer, then the second reader", got)
	}
}

// rwExclusion: readers and writers hammering one RWLock: a writer is
// always alone, readers only with readers.
func (s suite) rwExclusion(t *testing.T) {
	const clients, holds = 4, 40
	ctx := testContext(t)
	id := uniqueID(t)
	var readers, writers, taken atomic.Int64
	check := func() {
		if r, w := readers.Load(), writers.Load(); w > 1 || w == 1 && r > 0 {
			t.Errorf("at once: %d writers and %d readers, want one writer alone or readers only", w, r)
		}
	}
	var wg sync.WaitGroup
	for i, rw := range s.rwlocks(t, id, clients) {
		wg.Go(func() {
			for n := i; taken.Add(1) <= holds; n++ {
				do, count := rw.RDo, &readers
				if n%3 == 0 {
					do, count = rw.Do, &writers
				}
				wantNoErr(t, "Do/RDo", do(ctx, func(context.Context) error {
					count.Add(1)
					check()
					time.Sleep(time.Millisecond) // work while holding, so that holds overlap
					check()
					count.Add(-1)
					return nil
				}))
			}
		})
	}
	wg.Wait()
}
