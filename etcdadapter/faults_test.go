package etcdadapter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// An operator deleting the holder's key ends the hold with ErrLockLost,
// and the next waiter gets the lock.
func TestOperatorDeletesHolderKey(t *testing.T) {
	prefix := testPrefix(t)
	opts := brokerlock.Options{KeepAlive: true}
	h := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", opts))
	waiter := brokerlock.New(newAdapter(t, prefix)).Item("job", opts)
	got := make(chan *brokerlock.Hold, 1)
	go func() {
		h2, err := waiter.Hold(testCtx(t))
		if err != nil {
			t.Error(err)
		}
		got <- h2
	}()
	if _, err := etcd.Client().Delete(testCtx(t), h.Key()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, h, 5*time.Second)
	if !errors.Is(h.Err(), brokerlock.ErrLockLost) {
		t.Errorf("Err after key deleted: got %v, want ErrLockLost", h.Err())
	}
	if err := h.Release(testCtx(t)); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("Release after key deleted: got %v, want ErrLockLost", err)
	}
	h2 := <-got
	if h2 != nil && h2.Token() <= h.Token() {
		t.Errorf("waiter's token: got %d, want > %d", h2.Token(), h.Token())
	}
	h2.Release(testCtx(t))
	requireNoKeys(t, prefix)
}

// A lost holder's late Release never frees a newer holder, even one that
// reuses the very same key name (etcd issue #22082).
func TestLateReleaseKeepsNewerHolder(t *testing.T) {
	prefix := testPrefix(t)
	item := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{})
	old := mustHold(t, item)
	if _, err := etcd.Client().Delete(testCtx(t), old.Key()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, old, 5*time.Second)
	newer := waitKeyReuse(t, item, old.Key())
	if err := old.Release(testCtx(t)); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("late Release: got %v, want ErrLockLost", err)
	}
	resp, err := etcd.Client().Txn(testCtx(t)).If(etcdadapter.IsOwner(newer)).Commit()
	if err != nil || !resp.Succeeded {
		t.Errorf("newer holder after the late Release: owner=%v (err %v), want still the owner", resp != nil && resp.Succeeded, err)
	}
	if err := newer.Release(testCtx(t)); err != nil {
		t.Error(err)
	}
	requireNoKeys(t, prefix)
}

// waitKeyReuse holds item until a hold gets key (the slot is handed back
// once the lost hold's cleanup finished).
func waitKeyReuse(t *testing.T, item *brokerlock.Item, key string) *brokerlock.Hold {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		h := mustHold(t, item)
		if h.Key() == key {
			return h
		}
		h.Release(testCtx(t))
	}
	t.Fatalf("no hold reused key %q", key)
	return nil
}

// A waiter whose own key is deleted stops waiting with ErrLockLost at
// once (etcd issue #19597), and leaves nothing behind.
func TestWaiterKeyDeleted(t *testing.T) {
	prefix := testPrefix(t)
	h := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))
	waiter := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{Timeout: time.Minute})
	errc := make(chan error, 1)
	go func() {
		_, err := waiter.Hold(testCtx(t))
		errc <- err
	}()
	waiterKey := waitForKeys(t, prefix, 2)[1]
	if _, err := etcd.Client().Delete(testCtx(t), waiterKey); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, brokerlock.ErrLockLost) {
			t.Errorf("waiter after its key was deleted: got %v, want ErrLockLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter still waiting 5s after its key was deleted")
	}
	h.Release(testCtx(t))
	requireNoKeys(t, prefix)
}

// A waiter that watches the keys ahead of it in one range (wait.go,
// turnCame) is not admitted when one txn deletes the holder's key and its
// own: the waiter behind it holds, alone. Both deletes are in one revision;
// the holder's comes first in the watch's events.
func TestWaiterKeyDeletedWithHolders(t *testing.T) {
	prefix := testPrefix(t)
	h := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))
	defer h.Release(testCtx(t))
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 2)
	for i, name := range []string{"second", "third"} {
		item := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{Timeout: time.Minute})
		go func() {
			held, err := item.Hold(testCtx(t))
			if err == nil {
				defer held.Release(testCtx(t))
			}
			results <- result{name, err}
		}()
		waitForKeys(t, prefix, 2+i)
	}
	keys := waitForKeys(t, prefix, 3)
	if _, err := etcd.Client().Txn(testCtx(t)).Then(clientv3.OpDelete(keys[0]), clientv3.OpDelete(keys[1])).Commit(); err != nil {
		t.Fatal(err)
	}
	got := map[string]error{}
	for range 2 {
		select {
		case r := <-results:
			got[r.name] = r.err
		case <-time.After(5 * time.Second):
			t.Fatalf("5s after the holder's and the second waiter's keys were deleted: results %v, want both", got)
		}
	}
	if !errors.Is(got["second"], brokerlock.ErrLockLost) {
		t.Errorf("second waiter, its key deleted with the holder's: got %v, want ErrLockLost", got["second"])
	}
	if got["third"] != nil {
		t.Errorf("third waiter, after the keys ahead of it were deleted: got %v, want it to hold", got["third"])
	}
}

// waitForKeys polls until prefix has n keys and returns them oldest first.
func waitForKeys(t *testing.T, prefix string, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := etcd.Client().Get(testCtx(t), prefix, clientv3.WithPrefix(),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) == n {
			keys := make([]string, n)
			for i, kv := range resp.Kvs {
				keys[i] = string(kv.Key)
			}
			return keys
		}
	}
	t.Fatalf("want %d keys under %q; have %q", n, prefix, keysUnder(t, prefix))
	return nil
}

// A holder whose client dies learns of the loss before the server frees
// the lock, and the next waiter gets it within the lease TTL.
func TestHolderClientDies(t *testing.T) {
	prefix := testPrefix(t)
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true}
	client := etcd.NewClient(t)
	dying := etcdadapter.New(client, etcdadapter.WithPrefix(prefix))
	defer dying.Close()
	h := mustHold(t, brokerlock.New(dying).Item("job", opts))
	waiter := brokerlock.New(newAdapter(t, prefix)).Item("job", opts)
	got := make(chan *brokerlock.Hold, 1)
	go func() {
		h2, err := waiter.Hold(testCtx(t))
		if err != nil {
			t.Error(err)
		}
		got <- h2
	}()
	waitForKeys(t, prefix, 2)
	client.Close()
	start := time.Now()
	h2 := <-got
	select {
	case <-h.Done():
	default:
		t.Fatalf("the waiter acquired while the dead holder's Done was still open")
	}
	if !errors.Is(h.Err(), brokerlock.ErrLockLost) {
		t.Errorf("dead holder's Err: got %v, want ErrLockLost", h.Err())
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("waiter got the lock %v after the holder died, want within the 2s lease + expiry check", waited)
	}
	if h2 != nil {
		h2.Release(testCtx(t))
	}
}

// Close ends the adapter's holds and waiters and frees its locks at once,
// for everyone.
func TestCloseReleasesAtOnce(t *testing.T) {
	prefix := testPrefix(t)
	a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix(prefix))
	item := brokerlock.New(a).Item("job", brokerlock.Options{TTL: time.Minute})
	h := mustHold(t, item)
	errc := make(chan error, 1)
	go func() {
		_, err := item.Hold(testCtx(t))
		errc <- err
	}()
	waitForKeys(t, prefix, 2)
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !errors.Is(h.Err(), brokerlock.ErrLockLost) || !errors.Is(h.Err(), brokerlock.ErrClosed) {
		t.Errorf("hold's Err after Close: got %v, want ErrLockLost and ErrClosed", h.Err())
	}
	if err := <-errc; !errors.Is(err, brokerlock.ErrClosed) {
		t.Errorf("waiter after Close: got %v, want ErrClosed", err)
	}
	requireNoKeys(t, prefix)
	other := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{})
	h2, err := other.TryHold(testCtx(t))
	if err != nil {
		t.Fatalf("TryHold right after the holder's Close: %v", err)
	}
	h2.Release(testCtx(t))
}

// An id too large for etcd gets etcd's error within seconds, not a hang.
func TestTooLargeID(t *testing.T) {
	prefix := testPrefix(t)
	item := brokerlock.New(newAdapter(t, prefix)).Item(strings.Repeat("x", 3<<20), brokerlock.Options{Timeout: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := item.Hold(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hold with a 3 MiB id: got %v, want etcd's size error before the deadline", err)
	}
	requireNoKeys(t, prefix)
}

// With etcd unreachable, Hold returns ErrTimeout after Options.Timeout.
func TestUnreachableTimesOut(t *testing.T) {
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	a := etcdadapter.New(client)
	defer a.Close()
	item := brokerlock.New(a).Item("job", brokerlock.Options{Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err = item.Hold(context.Background())
	if !errors.Is(err, brokerlock.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hold with etcd unreachable: got %v, want ErrTimeout and DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("Hold returned after %v, want about the 300ms Timeout", waited)
	}
}
