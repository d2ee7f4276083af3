package etcdadapter_test

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// A concurrency.Mutex key has an empty value: Inspect still reports its
// key, token and the lease's TTL and expiry.
func TestInspectMutexHolder(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session, err := concurrency.NewSession(etcd.NewClient(t), concurrency.WithTTL(30))
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	mutex := concurrency.NewMutex(session, prefix+"job")
	if err := mutex.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	defer mutex.Unlock(ctx)
	info, err := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}).Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := info.Holder
	if h == nil || h.Key != mutex.Key() || h.Token != mutex.Header().Revision || h.Identity != "" || h.TTL != 30*time.Second {
		t.Fatalf("Inspect of a Mutex holder: got %+v, want key %q, token %d, no identity, TTL 30s",
			h, mutex.Key(), mutex.Header().Revision)
	}
	if left := time.Until(h.Expires); left <= 0 || left > 30*time.Second {
		t.Errorf("Mutex holder's Expires: %v from now, want within its 30s lease", left)
	}
}

// A holder that waited records when it took over; WithIdentity names it.
func TestInspectAcquiredAfterWait(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	first := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))
	a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix(prefix), etcdadapter.WithIdentity("pod-b"))
	defer a.Close()
	waiter := brokerlock.New(a).Item("job", brokerlock.Options{Label: "b"})
	next := make(chan *brokerlock.Hold, 1)
	go func() {
		h, err := waiter.Hold(ctx)
		if err != nil {
			t.Error(err)
		}
		next <- h
	}()
	waitForKeys(t, prefix, 2)
	released := time.Now()
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	h := <-next
	if h == nil {
		return
	}
	defer h.Release(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := waiter.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := info.Holder
		if got.Identity != "pod-b" || got.Label != "b" || got.Token != h.Token() {
			t.Fatalf("holder: got %+v, want identity pod-b, label b, token %d", got, h.Token())
		}
		if got.AcquiredAt.After(got.QueuedAt) && !got.AcquiredAt.Before(released) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("holder that waited: AcquiredAt %v, QueuedAt %v, want AcquiredAt after the release at %v",
				got.AcquiredAt, got.QueuedAt, released)
		}
	}
}

// List finds every held lock under the prefix, ids unescaped, with their
// waiters; ForceRelease removes a holder's key and says whose it was.
func TestListAndForceRelease(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	a := newAdapter(t, prefix)
	bl := brokerlock.New(a)
	jobHold := mustHold(t, bl.Item("job", brokerlock.Options{KeepAlive: true}))
	mustHold(t, bl.Item("reports/2026", brokerlock.Options{}))
	waiter := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{})
	next := make(chan *brokerlock.Hold, 1)
	go func() {
		h, err := waiter.Hold(ctx)
		if err != nil {
			t.Error(err)
		}
		next <- h
	}()
	waitForKeys(t, prefix, 3)
	infos, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].ID != "job" || infos[1].ID != "reports/2026" ||
		len(infos[0].Waiters) != 1 || len(infos[1].Waiters) != 0 || infos[0].Holder.Token != jobHold.Token() {
		t.Fatalf("List: got %+v, want job (held, 1 waiter) and reports/2026 (held)", infos)
	}
	removed, err := a.ForceRelease(ctx, "job")
	if err != nil || removed == nil || removed.Key != jobHold.Key() {
		t.Fatalf("ForceRelease: got %+v, %v; want the holder's entry %q", removed, err, jobHold.Key())
	}
	waitDone(t, jobHold, 5*time.Second)
	if !errors.Is(jobHold.Err(), brokerlock.ErrLockLost) {
		t.Errorf("forcibly released holder's Err: got %v, want ErrLockLost", jobHold.Err())
	}
	h := <-next
	if h == nil {
		return
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if removed, err := a.ForceRelease(ctx, "job"); removed != nil || err != nil {
		t.Errorf("ForceRelease of a free lock: got %+v, %v; want nil, nil", removed, err)
	}
}
