package compat_test

import (
	"errors"
	"testing"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// newMutex returns a concurrency.Mutex on prefix+"job" in a session of a
// new client, closed when the test ends.
func newMutex(t *testing.T, srv *testutil.Binary, prefix string) *concurrency.Mutex {
	t.Helper()
	session, err := concurrency.NewSession(srv.NewClient(t))
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { _ = session.Close() })
	return concurrency.NewMutex(session, prefix+"job")
}

// mutexExcludesUs: a Mutex on prefix+id and our lock id exclude each
// other, both ways.
func mutexExcludesUs(t *testing.T, srv *testutil.Binary) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	mutex := newMutex(t, srv, prefix)
	item := brokerlock.New(newAdapter(t, srv, prefix)).Item("job", brokerlock.Options{})
	if err := mutex.Lock(ctx); err != nil {
		t.Fatalf("Mutex.Lock: %v", err)
	}
	if _, err := item.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("TryHold while a Mutex holds: got %v, want ErrLocked", err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Fatalf("Mutex.Unlock: %v", err)
	}
	h, err := item.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold after the Mutex unlocked: got %v, want the lock", err)
	}
	if err := mutex.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
		t.Errorf("Mutex.TryLock while we hold: got %v, want concurrency.ErrLocked", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
}

// mutexWaitsForUs: a Mutex waiting behind our hold gets the lock when we
// release.
func mutexWaitsForUs(t *testing.T, srv *testutil.Binary) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	mutex := newMutex(t, srv, prefix)
	h, err := brokerlock.New(newAdapter(t, srv, prefix)).Item("job", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got %v, want the lock", err)
	}
	locked := make(chan error, 1)
	go func() { locked <- mutex.Lock(ctx) }()
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("Mutex.Lock after our release: got %v, want nil", err)
	}
	if err := mutex.Unlock(ctx); err != nil {
		t.Errorf("Mutex.Unlock: %v", err)
	}
}
