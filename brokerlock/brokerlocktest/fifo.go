package brokerlocktest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// grant is which waiter got the lock, with which token.
type grant struct {
	waiter int
	token  int64
}

// fifo: waiters that queue one after another, on two clients, get the
// lock in that order, with increasing tokens, and none while it is held.
func (s suite) fifo(t *testing.T) {
	const waiters = 5
	ctx := testContext(t)
	id := uniqueID(t)
	holder := mustHold(t, ctx, s.locks(t, 1)[0].Item(id, waitOpts))
	grants := make(chan grant, waiters)
	wg := s.queueInOrder(t, waiters, func(bl *brokerlock.BrokerLock, i int) {
		fifoWaiter(t, ctx, bl.Item(id, waitOpts), i, grants)
	})
	if n := len(grants); n != 0 {
		t.Errorf("waiters that got the lock while it was held: got %d, want 0", n)
	}
	wantNoErr(t, "holder's Release", holder.Release(ctx))
	checkFIFO(t, collectGrants(wg, grants), waiters)
}

// queueInOrder starts n waiters, alternately on two clients, each once
// the one before it has entered Acquire and had queueDelay to queue;
// wait is waiter i on its client's BrokerLock.
func (s suite) queueInOrder(t *testing.T, n int, wait func(bl *brokerlock.BrokerLock, i int)) *sync.WaitGroup {
	t.Helper()
	bl0, p0 := s.probed(t)
	bl1, p1 := s.probed(t)
	clients := []struct {
		bl *brokerlock.BrokerLock
		p  *probe
	}{{bl0, p0}, {bl1, p1}}
	var wg sync.WaitGroup
	for i := range n {
		c := clients[i%len(clients)]
		wg.Go(func() { wait(c.bl, i) })
		c.p.waitQueued(t)
	}
	return &wg
}

// collectGrants waits for the waiters of wg, which send on grants, and
// returns what they sent, in order.
func collectGrants(wg *sync.WaitGroup, grants chan grant) []grant {
	wg.Wait()
	close(grants)
	var got []grant
	for g := range grants {
		got = append(got, g)
	}
	return got
}

// fifoWaiter takes the lock, reports it, and passes it on.
func fifoWaiter(t *testing.T, ctx context.Context, it *brokerlock.Item, i int, grants chan<- grant) {
	h, err := it.Hold(ctx)
	if err != nil {
		t.Errorf("waiter %d: Hold: got error %v, want the lock", i, err)
		return
	}
	grants <- grant{waiter: i, token: h.Token()}
	wantNoErr(t, "waiter's Release", h.Release(ctx))
}

// checkFIFO wants waiters 0..n-1 in order, with increasing tokens.
func checkFIFO(t *testing.T, got []grant, n int) {
	t.Helper()
	order := make([]int, len(got))
	for i, g := range got {
		order[i] = g.waiter
		if i > 0 && g.token <= got[i-1].token {
			t.Errorf("token of the %d. holder: got %d after %d, want strictly increasing", i+1, g.token, got[i-1].token)
		}
	}
	if want := seq(n); !slices.Equal(order, want) {
		t.Errorf("order in which waiters got the lock: got %v, want %v (the order they queued in)", order, want)
	}
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
