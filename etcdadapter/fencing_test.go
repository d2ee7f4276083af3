package etcdadapter_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// A write guarded by IsOwner succeeds while holding and is refused after
// Release.
func TestIsOwnerGuardsWrites(t *testing.T) {
	prefix := testPrefix(t)
	h := mustHold(t, brokerlock.New(newAdapter(t, prefix)).Item("job", brokerlock.Options{}))
	write := func() bool {
		resp, err := etcd.Client().Txn(testCtx(t)).If(etcdadapter.IsOwner(h)).
			Then(clientv3.OpPut(prefix+"data", "x")).Commit()
		if err != nil {
			t.Fatal(err)
		}
		return resp.Succeeded
	}
	if !write() {
		t.Error("guarded write while holding: refused, want applied")
	}
	if err := h.Release(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if write() {
		t.Error("guarded write after Release: applied, want refused")
	}
}
