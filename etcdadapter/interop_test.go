package etcdadapter_test

import (
	"errors"
	"testing"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// A concurrency.Mutex on prefix+id and our lock id exclude each other.
func TestInteropWithMutex(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session := newSession(t)
	mutex := concurrency.NewMutex(session, prefix+"job")
	item := brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{})

	if err := mutex.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := item.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Fatalf("TryHold while a Mutex holds: got %v, want ErrLocked", err)
	}
	if reserved, err := item.IsReserved(ctx); err != nil || !reserved {
		t.Fatalf("IsReserved while a Mutex holds: got %v, %v; want true", reserved, err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	h := mustHold(t, item)
	if err := mutex.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
		t.Fatalf("Mutex.TryLock while we hold: got %v, want concurrency.ErrLocked", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mutex.TryLock(ctx); err != nil {
		t.Fatalf("Mutex.TryLock after our release: got %v, want nil", err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	requireNoKeys(t, prefix)
}

// A Mutex waiting behind our hold gets the lock when we release.
func TestMutexWaitsForUs(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session := newSession(t)
	mutex := concurrency.NewMutex(session, prefix+"job")
	h := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))

	locked := make(chan error, 1)
	go func() { locked <- mutex.Lock(ctx) }()
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("Mutex.Lock after our release: %v", err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// An RWLock's readers treat a concurrency.Mutex on prefix+id as a writer,
// and the Mutex waits for them.
func TestRWLockReadersAndMutex(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session := newSession(t)
	mutex := concurrency.NewMutex(session, prefix+"snapshot")
	rw := brokerlock.New(newAdapter(t, prefix)).RWLock("snapshot", brokerlock.Options{})
	if err := mutex.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.TryRHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("TryRHold while a Mutex holds: got %v, want ErrLocked", err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	r1, err := rw.RHold(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := rw.TryRHold(ctx)
	if err != nil {
		t.Fatalf("a second reader: got %v, want to hold with the first", err)
	}
	if err := mutex.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
		t.Errorf("Mutex.TryLock while readers hold: got %v, want concurrency.ErrLocked", err)
	}
	for _, r := range []*brokerlock.Hold{r1, r2} {
		if err := r.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := mutex.TryLock(ctx); err != nil {
		t.Errorf("Mutex.TryLock after the readers released: got %v, want nil", err)
	}
	_ = mutex.Unlock(ctx)
	requireNoKeys(t, prefix)
}

// A key of another kind in a semaphore's queue (a concurrency.Mutex's,
// whose value is empty) counts as one holder, as documented: with a limit
// of 2 and a Mutex holding, one permit is left.
func TestSemaphoreCountsForeignKeys(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	mutex := concurrency.NewMutex(newSession(t), prefix+"migrate")
	if err := mutex.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	sem := brokerlock.New(newAdapter(t, prefix)).Semaphore("migrate", 2, brokerlock.Options{})
	h, err := sem.TryHold(ctx)
	if err != nil {
		t.Fatalf("TryHold with a Mutex in the queue and a limit of 2: got %v, want the one permit left", err)
	}
	if _, err := sem.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("a second TryHold: got %v, want ErrLocked (the Mutex and one permit hold)", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	_ = mutex.Unlock(ctx)
	requireNoKeys(t, prefix)
}
