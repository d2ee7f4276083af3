package etcdadapter_test

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// testPrefix is a key prefix no other test uses.
func testPrefix(t *testing.T) string { return testutil.KeyPrefix(t, "test/") }

// newAdapter is one more "process": its own client and adapter on prefix.
func newAdapter(t *testing.T, prefix string) *etcdadapter.Adapter {
	a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { a.Close() })
	return a
}

// keysUnder lists every key under prefix.
func keysUnder(t *testing.T, prefix string) []string {
	t.Helper()
	return testutil.KeysUnder(t, etcd.Client(), prefix)
}

// requireNoKeys fails unless nothing is left under prefix.
func requireNoKeys(t *testing.T, prefix string) {
	t.Helper()
	if keys := keysUnder(t, prefix); len(keys) != 0 {
		t.Fatalf("keys left under %q: got %q, want none", prefix, keys)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustHold(t *testing.T, it *brokerlock.Item) *brokerlock.Hold {
	t.Helper()
	h, err := it.Hold(testCtx(t))
	if err != nil {
		t.Fatalf("Hold %q: %v", it.ID(), err)
	}
	return h
}

// waitDone waits for h to end, at most d.
func waitDone(t *testing.T, h *brokerlock.Hold, d time.Duration) {
	t.Helper()
	select {
	case <-h.Done():
	case <-time.After(d):
		t.Fatalf("hold %s still alive after %v, want it ended", h.Key(), d)
	}
}

// newSession is a concurrency.Session on a client of its own ("another
// process"), closed when the test ends.
func newSession(t *testing.T) *concurrency.Session {
	t.Helper()
	s, err := concurrency.NewSession(etcd.NewClient(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
