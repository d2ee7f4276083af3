package security_test

import (
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// holdJob takes lock "job" through a with a 30s TTL; the hold is released
// when the test ends if the test did not release it.
func holdJob(t *testing.T, a brokerlock.Adapter) *brokerlock.Hold {
	t.Helper()
	it := brokerlock.New(a).Item("job", brokerlock.Options{TTL: 30 * time.Second, Timeout: 10 * time.Second})
	h, err := it.Hold(testCtx(t))
	if err != nil {
		t.Fatalf("Hold(job): got error %v, want the lock", err)
	}
	t.Cleanup(func() { _ = h.Release(t.Context()) })
	return h
}

// wantHeld checks that h still holds: no loss reported, and its key still
// exists at its token, as root sees it.
func wantHeld(t *testing.T, root *clientv3.Client, h *brokerlock.Hold) {
	t.Helper()
	if err := h.Err(); err != nil {
		t.Errorf("hold %s: Err got %v, want nil", h.Key(), err)
	}
	resp, err := root.Get(testCtx(t), h.Key())
	switch {
	case err != nil:
		t.Errorf("get %s as root: %v", h.Key(), err)
	case len(resp.Kvs) != 1 || resp.Kvs[0].CreateRevision != h.Token():
		t.Errorf("key %s: got %v, want it at create revision %d", h.Key(), resp.Kvs, h.Token())
	}
}
