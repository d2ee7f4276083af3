package etcdadapter_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// holdResult is what a Hold run in a goroutine returned.
type holdResult struct {
	h   *brokerlock.Hold
	err error
}

// holdAsync starts item.Hold on ctx and waits until its put is queued.
func holdAsync(ctx context.Context, t *testing.T, item *brokerlock.Item, queued <-chan struct{}) <-chan holdResult {
	t.Helper()
	done := make(chan holdResult, 1)
	go func() {
		h, err := item.Hold(ctx)
		done <- holdResult{h, err}
	}()
	select {
	case <-queued:
	case <-testCtx(t).Done():
		t.Fatalf("Hold %q: its put was never queued", item.ID())
	}
	return done
}

// mustGet waits for a Hold started by holdAsync and fails the test on an
// error.
func mustGet(t *testing.T, what string, done <-chan holdResult) *brokerlock.Hold {
	t.Helper()
	r := <-done
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.h
}

// Writes that queue behind one in flight go in one txn (one revision, so
// equal tokens on distinct locks), but never two of one lock: a second
// put on lock a goes in another txn, and one of the two holds a while
// the other waits.
func TestConcurrentWritesShareOneTxnButNotALock(t *testing.T) {
	prefix := testPrefix(t)
	a := newAdapter(t, prefix)
	queued, resume := etcdadapter.PauseWrites(a)
	lock := brokerlock.New(a)
	a1 := holdAsync(testCtx(t), t, lock.Item("a", brokerlock.Options{}), queued)
	a2 := holdAsync(testCtx(t), t, lock.Item("a", brokerlock.Options{}), queued)
	b := holdAsync(testCtx(t), t, lock.Item("b", brokerlock.Options{}), queued)
	c := holdAsync(testCtx(t), t, lock.Item("c", brokerlock.Options{}), queued)
	resume()

	hb, hc := mustGet(t, "Hold b", b), mustGet(t, "Hold c", c)
	if hb.Token() != hc.Token() {
		t.Errorf("tokens of b and c, queued together: got %d and %d, want one txn's revision", hb.Token(), hc.Token())
	}
	var first, second *brokerlock.Hold
	select {
	case r := <-a1:
		first, second = r.h, nil
		if r.err == nil {
			second = thenHolds(t, r.h, a2)
		}
	case r := <-a2:
		first, second = r.h, nil
		if r.err == nil {
			second = thenHolds(t, r.h, a1)
		}
	}
	if first == nil || second == nil {
		t.Fatalf("two Holds of a: got %v then %v, want both to hold in turn", first, second)
	}
	if tokens := []int64{first.Token(), second.Token()}; !slices.Contains(tokens, hb.Token()) || tokens[0] == tokens[1] {
		t.Errorf("tokens of the holds of a: got %d, want one of them %d (the txn of b and c), the other different", tokens, hb.Token())
	}
	for _, h := range []*brokerlock.Hold{second, hb, hc} {
		h.Release(testCtx(t))
	}
	requireNoKeys(t, prefix)
}

// thenHolds checks that the Hold behind done waits while h holds, and
// holds once h is released.
func thenHolds(t *testing.T, h *brokerlock.Hold, done <-chan holdResult) *brokerlock.Hold {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("second Hold of a while the first holds: got %v, %v; want it waiting", r.h, r.err)
	default:
	}
	if err := h.Release(testCtx(t)); err != nil {
		t.Fatalf("Release a: %v", err)
	}
	return mustGet(t, "second Hold a", done)
}

// A txn that etcd refuses (here: a put on a lease that was revoked) wrote
// nothing, and each of its writes is sent again on its own: the other
// write holds on its own lease, and the one on the revoked lease holds on
// a new lease.
func TestRefusedBatchIsSentWriteByWrite(t *testing.T) {
	prefix := testPrefix(t)
	a := newAdapter(t, prefix)
	queued, resume := etcdadapter.PauseWrites(a)
	lock := brokerlock.New(a)
	x := holdAsync(testCtx(t), t, lock.Item("x", brokerlock.Options{TTL: 97 * time.Second, KeepAlive: true}), queued)
	revoked := etcdadapter.LeaseID(a, 97)
	if _, err := etcd.Client().Revoke(testCtx(t), clientv3.LeaseID(revoked)); err != nil {
		t.Fatal(err)
	}
	y := holdAsync(testCtx(t), t, lock.Item("y", brokerlock.Options{TTL: 98 * time.Second, KeepAlive: true}), queued)
	yLease := etcdadapter.LeaseID(a, 98)
	resume()

	hy := mustGet(t, "Hold y, batched with a put on a revoked lease", y)
	hx := mustGet(t, "Hold x, whose put named a revoked lease", x)
	if lease := leaseOfKey(t, hx.Key()); lease == revoked {
		t.Errorf("lease of x's key: got the revoked %x, want a new one", lease)
	}
	if lease := leaseOfKey(t, hy.Key()); lease != yLease {
		t.Errorf("lease of y's key: got %x, want its own %x (the refusal was x's lease's, not y's)", lease, yLease)
	}
	hx.Release(testCtx(t))
	hy.Release(testCtx(t))
	requireNoKeys(t, prefix)
}

// leaseOfKey is the lease the key is bound to now.
func leaseOfKey(t *testing.T, key string) int64 {
	t.Helper()
	resp, err := etcd.Client().Get(testCtx(t), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("read %q: got %v, %v; want the key", key, resp, err)
	}
	return resp.Kvs[0].Lease
}

// A Hold cancelled while its put waits for a txn sends nothing: it
// returns the cancellation at once, the adapter keeps the lease (a put
// whose outcome is unknown would retire it), and the lock is free.
func TestWriteCancelledInQueueIsNotSent(t *testing.T) {
	prefix := testPrefix(t)
	a := newAdapter(t, prefix)
	lock := brokerlock.New(a)
	opts := brokerlock.Options{TTL: 30 * time.Second, KeepAlive: true}
	mustHold(t, lock.Item("first", opts)).Release(testCtx(t))
	lease := etcdadapter.LeaseID(a, 30)
	queued, resume := etcdadapter.PauseWrites(a)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := holdAsync(ctx, t, lock.Item("job", opts), queued)
	cancel()
	if r := <-done; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Hold cancelled in the queue: got %v, %v; want context.Canceled", r.h, r.err)
	}
	resume()
	later := mustHold(t, lock.Item("later", opts))
	if got := leaseOfKey(t, later.Key()); got != lease {
		t.Errorf("lease of a later hold: got %x, want the adapter's lease %x, kept", got, lease)
	}
	later.Release(testCtx(t))
	h, err := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}).TryHold(testCtx(t))
	if err != nil {
		t.Fatalf("TryHold by another process after the cancelled Hold: %v", err)
	}
	h.Release(testCtx(t))
	requireNoKeys(t, prefix)
}

// A txn of batched writes that a silent connection swallowed ends once
// every caller in it gave up: the adapter's later writes are not stuck
// behind it.
func TestSwallowedBatchFreesTheAdapter(t *testing.T) {
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	sw := swallowBatch(ctx, t)
	for _, r := range []holdResult{<-sw.x, <-sw.y} {
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("Hold in a swallowed txn: got %v, %v; want context.DeadlineExceeded", r.h, r.err)
		}
	}
	mustHold(t, sw.lock.Item("z", brokerlock.Options{})).Release(testCtx(t))
}

// swallowed is two Holds whose puts went in one txn of batched writes
// that the connection swallowed (it hangs until its context ends).
type swallowed struct {
	lock *brokerlock.BrokerLock
	f    *faulty
	x, y <-chan holdResult
}

// swallowBatch starts Holds of x and y on ctx, queued behind a write in
// flight so that they go in one txn, which hangs.
func swallowBatch(ctx context.Context, t *testing.T) swallowed {
	f := newFaulty(0)
	a := faultyAdapter(t, testPrefix(t), f)
	f.hangBatch.Store(true)
	queued, resume := etcdadapter.PauseWrites(a)
	lock := brokerlock.New(a)
	x := holdAsync(ctx, t, lock.Item("x", brokerlock.Options{}), queued)
	y := holdAsync(ctx, t, lock.Item("y", brokerlock.Options{}), queued)
	resume()
	return swallowed{lock: lock, f: f, x: x, y: y}
}

// A put sent alone that a silent connection swallowed, whose caller
// waits on, holds up the adapter's other writes for requestTimeout (2s)
// at most: another Hold with 10s to spare holds meanwhile.
func TestSwallowedLoneWriteHoldsUpOthersBriefly(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(0)
	a := faultyAdapter(t, prefix, f)
	lock := brokerlock.New(a)
	f.hangPut.Store(true)
	ctx, cancel := context.WithCancel(testCtx(t))
	x := make(chan error, 1)
	go func() {
		_, err := lock.Item("x", brokerlock.Options{}).Hold(ctx)
		x <- err
	}()
	<-f.hung
	holdMeanwhile(t, lock.Item("y", brokerlock.Options{}))
	cancel()
	if err := <-x; !errors.Is(err, context.Canceled) {
		t.Errorf("Hold whose put was swallowed, cancelled: got %v, want context.Canceled", err)
	}
}

// The same for a txn of batched writes whose callers wait on: the writes
// queued after it go after requestTimeout at most.
func TestSwallowedBatchHoldsUpOthersBriefly(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	sw := swallowBatch(ctx, t)
	<-sw.f.hung
	holdMeanwhile(t, sw.lock.Item("z", brokerlock.Options{}))
	cancel()
	for _, r := range []holdResult{<-sw.x, <-sw.y} {
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("Hold in a swallowed txn, cancelled: got %v, %v; want context.Canceled", r.h, r.err)
		}
	}
}

// holdMeanwhile holds item within 10s (requestTimeout is 2s) and releases
// it.
func holdMeanwhile(t *testing.T, item *brokerlock.Item) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	h, err := item.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold %q behind a swallowed request: %v", item.ID(), err)
	}
	h.Release(testCtx(t))
}
