package etcdadapter_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// faulty wraps a client's gRPC calls: the next matching request can lose
// its answer (applied now or applied late), and keep-alives can hang.
type faulty struct {
	delayPut     atomic.Bool   // next put txn: answer lost, applied after delay
	lostPutReply atomic.Bool   // next put txn: applied now, answer lost
	blockRenew   atomic.Bool   // LeaseKeepAlive streams hang until their ctx ends
	hangBatch    atomic.Bool   // next txn of batched writes: hangs until its ctx ends
	hangPut      atomic.Bool   // next put txn sent alone: hangs until its ctx ends
	hung         chan struct{} // a request hangs
	delay        time.Duration
	applied      chan struct{} // a late request was applied
}

func newFaulty(delay time.Duration) *faulty {
	return &faulty{delay: delay, applied: make(chan struct{}, 1), hung: make(chan struct{}, 1)}
}

func (f *faulty) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if isBatch(req) && f.hangBatch.CompareAndSwap(true, false) || isPutTxn(req) && f.hangPut.CompareAndSwap(true, false) {
		f.hung <- struct{}{}
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	if !isPutTxn(req) {
		return inv(ctx, method, req, reply, cc, opts...)
	}
	switch {
	case f.delayPut.CompareAndSwap(true, false):
		go f.applyLate(func() { _ = inv(context.Background(), method, req, new(pb.TxnResponse), cc, opts...) })
		return status.Error(codes.Unavailable, "injected: answer lost")
	case f.lostPutReply.CompareAndSwap(true, false):
		if err := inv(ctx, method, req, reply, cc, opts...); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "injected: answer lost")
	}
	return inv(ctx, method, req, reply, cc, opts...)
}

func (f *faulty) applyLate(apply func()) {
	time.Sleep(f.delay) // the request is stuck somewhere on its way
	apply()
	f.applied <- struct{}{}
}

func isPutTxn(req any) bool {
	t, ok := req.(*pb.TxnRequest)
	return ok && len(t.Success) > 0 && t.Success[0].GetRequestPut() != nil
}

// isBatch: a txn of batched writes, whose first operation is a nested txn.
func isBatch(req any) bool {
	t, ok := req.(*pb.TxnRequest)
	return ok && len(t.Success) > 0 && t.Success[0].GetRequestTxn() != nil
}

func (f *faulty) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil || method != "/etcdserverpb.Lease/LeaseKeepAlive" {
		return cs, err
	}
	return blockableStream{ClientStream: cs, f: f}, nil
}

// blockableStream is a keep-alive stream whose answers hang, until the
// stream ends, while blockRenew is set: also on a stream opened before.
type blockableStream struct {
	grpc.ClientStream
	f *faulty
}

func (s blockableStream) RecvMsg(m any) error {
	if s.f.blockRenew.Load() {
		<-s.Context().Done()
		return s.Context().Err()
	}
	return s.ClientStream.RecvMsg(m)
}

func faultyAdapter(t *testing.T, prefix string, f *faulty) *etcdadapter.Adapter {
	client, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints(), DialTimeout: 5 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(f.unary), grpc.WithChainStreamInterceptor(f.stream)}})
	if err != nil {
		t.Fatal(err)
	}
	a := etcdadapter.New(client, etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { a.Close(); client.Close() })
	return a
}

// A put whose answer was lost and which is applied after Hold gave up is
// swept away: the lock is not blocked for others, and the adapter keeps
// working on that id.
func TestLatePutIsSwept(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(300 * time.Millisecond)
	item := brokerlock.New(faultyAdapter(t, prefix, f)).Item("job", brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true})
	mustHold(t, item).Release(testCtx(t)) // the lease exists now

	f.delayPut.Store(true)
	if _, err := item.Hold(testCtx(t)); err == nil {
		t.Fatal("Hold with its answer lost: got nil error")
	}
	<-f.applied
	waitForKeys(t, prefix, 0)
	other := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{})
	h, err := other.TryHold(testCtx(t))
	if err != nil {
		t.Fatalf("TryHold by another process after the sweep: %v", err)
	}
	h.Release(testCtx(t))
	for i := range 3 {
		if h, err := item.Hold(testCtx(t)); err != nil {
			t.Errorf("Hold #%d on the same adapter: %v", i, err)
		} else {
			h.Release(testCtx(t))
		}
	}
}

// A put applied whose answer was lost is removed at once, and neither its
// key name nor its lease is given to a later hold (so no stale delete or
// late put can reach one).
func TestLostPutAnswerRetiresKey(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(0)
	item := brokerlock.New(faultyAdapter(t, prefix, f)).Item("job", brokerlock.Options{KeepAlive: true})
	first := mustHold(t, item)
	f.lostPutReply.Store(true)
	if _, err := item.TryHold(testCtx(t)); err == nil {
		t.Fatal("TryHold with its answer lost: got nil error")
	}
	keys := keysUnder(t, prefix)
	if len(keys) != 1 || keys[0] != first.Key() {
		t.Fatalf("keys after the lost answer: got %q, want only the holder's %q", keys, first.Key())
	}
	retired := leaseOf(t, first.Key())
	first.Release(testCtx(t))
	for range 3 {
		h := mustHold(t, item)
		if got := leaseOf(t, h.Key()); got == retired {
			t.Errorf("later hold %q: on the retired lease %x, want a new one", h.Key(), got)
		}
		h.Release(testCtx(t))
	}
}

// F4: a put whose answer was lost and which lands after the sweeps could
// leave a key nobody owns on a lease the adapter keeps renewing, blocking
// the lock. Its lease is retired instead: later holds get another lease,
// and the retired one is revoked once its last hold ends, so the late put
// finds no lease and writes nothing.
func TestLatePutOnRetiredLeaseFails(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(1500 * time.Millisecond) // lands after the first sweep (1s)
	lock := brokerlock.New(faultyAdapter(t, prefix, f))
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true}
	other := mustHold(t, lock.Item("other", opts)) // keeps the lease in use
	f.delayPut.Store(true)
	if _, err := lock.Item("job", opts).TryHold(testCtx(t)); err == nil {
		t.Fatal("TryHold with its answer lost: got nil error")
	}
	later := mustHold(t, lock.Item("later", opts))
	if got, retired := leaseOf(t, later.Key()), leaseOf(t, other.Key()); got == retired {
		t.Errorf("hold after the lost answer: on the retired lease %x, want a new one", got)
	}
	other.Release(testCtx(t)) // the retired lease's last hold
	<-f.applied
	if keys := keysUnder(t, etcdadapter.LockPrefix(prefix, "job")); len(keys) != 0 {
		t.Errorf("keys of lock job once the late put was applied: got %q, want none", keys)
	}
	later.Release(testCtx(t))
}

// Close revokes a retired lease that still has holds, like every other:
// no key of the adapter outlives Close.
func TestCloseRevokesRetiredLease(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(0)
	a := faultyAdapter(t, prefix, f)
	lock := brokerlock.New(a)
	opts := brokerlock.Options{KeepAlive: true}
	mustHold(t, lock.Item("other", opts)) // stays on the lease that is retired
	f.lostPutReply.Store(true)
	if _, err := lock.Item("job", opts).TryHold(testCtx(t)); err == nil {
		t.Fatal("TryHold with its answer lost: got nil error")
	}
	mustHold(t, lock.Item("later", opts)) // on a new lease
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if keys := keysUnder(t, prefix); len(keys) != 0 {
		t.Errorf("keys after Close: got %q, want none", keys)
	}
}

func leaseOf(t *testing.T, key string) int64 {
	t.Helper()
	resp, err := etcd.Client().Get(testCtx(t), key)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("get %q: %v, %d keys", key, err, len(resp.Kvs))
	}
	return resp.Kvs[0].Lease
}

// A hard-TTL hold's Expires never lies late: when its lease cannot be
// renewed, Expires is the lease's limit, and no one acquires before it.
func TestHardTTLExpiresHonest(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(0)
	lock := brokerlock.New(faultyAdapter(t, prefix, f))
	// A KeepAlive TTL of 4s shares the 4s lease that a hard TTL of 2s uses.
	probe := mustHold(t, lock.Item("probe", brokerlock.Options{TTL: 4 * time.Second, KeepAlive: true}))
	f.blockRenew.Store(true)
	time.Sleep(time.Until(probe.Expires().Add(-500 * time.Millisecond))) // the promise is about time
	h, err := lock.Item("job", brokerlock.Options{TTL: 2 * time.Second}).Hold(testCtx(t))
	if err != nil {
		if !errors.Is(err, brokerlock.ErrLockLost) {
			t.Fatalf("Hold on a lease that cannot be renewed: got %v, want a hold or ErrLockLost", err)
		}
		return
	}
	expires := h.Expires()
	h2 := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))
	if acquired := time.Now(); acquired.Before(expires) {
		t.Errorf("another process acquired %v before the hold's Expires", expires.Sub(acquired))
	}
	h2.Release(testCtx(t))
}

// After the shared lease is revoked from outside, the next Hold works at
// once on a new lease.
func TestRevokedLeaseReplaced(t *testing.T) {
	prefix := testPrefix(t)
	item := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{KeepAlive: true})
	h := mustHold(t, item)
	revokeLeaseOf(t, h.Key())
	waitDone(t, h, 5*time.Second)
	for i := range 3 {
		h2, err := item.Hold(testCtx(t))
		if err != nil {
			t.Fatalf("Hold #%d after the revoke: %v", i, err)
		}
		h2.Release(testCtx(t))
	}
}

func revokeLeaseOf(t *testing.T, key string) {
	t.Helper()
	resp, err := etcd.Client().Get(testCtx(t), key)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("get %q: %v, %d keys", key, err, len(resp.Kvs))
	}
	if _, err := etcd.Client().Revoke(testCtx(t), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
}

// Refresh of a kept-alive hold whose renewals hang returns ErrLockLost
// when the hold is lost, not later.
func TestRefreshEndsWithHold(t *testing.T) {
	prefix := testPrefix(t)
	f := newFaulty(0)
	h := mustHold(t, brokerlock.New(faultyAdapter(t, prefix, f)).Item("job", brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true}))
	f.blockRenew.Store(true)
	errc := make(chan error, 1)
	go func() { errc <- h.Refresh(context.Background()) }()
	waitDone(t, h, 5*time.Second)
	select {
	case err := <-errc:
		if !errors.Is(err, brokerlock.ErrLockLost) {
			t.Errorf("Refresh: got %v, want ErrLockLost", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("Refresh still blocked 2s after the hold was lost")
	}
}
