package security_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Two tenants, each a user whose role covers only its own prefix, hold
// the same lock id at the same time without seeing each other. Tenant b
// can neither see (IsReserved, Inspect, List) nor release (ForceRelease)
// nor queue for tenant a's locks: every try is PermissionDenied, and a's
// hold stays as it was.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	base := testPrefix(t)
	a := newTenant(t, srv, root, base+"tenant-a/", readWrite)
	b := newTenant(t, srv, root, base+"tenant-b/", readWrite)
	ha := holdJob(t, a.adapter(t, a.prefix))
	bOwn := b.adapter(t, b.prefix)
	hb := holdJob(t, bOwn) // the same id, held at the same time
	if ha.Token() == hb.Token() {
		t.Errorf("tokens of a's and b's holds: both %d, want different keys", ha.Token())
	}
	infos, err := bOwn.List(testCtx(t))
	if err != nil || len(infos) != 1 || infos[0].Holder == nil || infos[0].Holder.Key != hb.Key() {
		t.Errorf("b's List of its own prefix: got %+v, %v; want only its own hold %s", infos, err, hb.Key())
	}
	intruder := b.adapter(t, a.prefix)
	for _, op := range deniedOps() {
		t.Run(op.name, func(t *testing.T) { wantDenied(t, op, intruder, "job") })
	}
	wantHeld(t, root, ha)
	for _, h := range []*brokerlock.Hold{ha, hb} {
		if err := h.Release(testCtx(t)); err != nil {
			t.Errorf("Release %s: got %v, want nil", h.Key(), err)
		}
	}
	requireNoKeys(t, root, base)
}
