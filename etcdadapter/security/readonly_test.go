package security_test

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// A read-only role on the prefix is enough to watch locks (IsReserved,
// Inspect with the lease's expiry, List: what `brokerlock status` needs)
// but not to take or force-release one: those are PermissionDenied, leave
// no key, and the holder keeps its lock.
func TestReadOnlyUser(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	prefix := testPrefix(t) + "tenant-a/"
	app := newTenant(t, srv, root, prefix, readWrite)
	viewer := newTenant(t, srv, root, prefix, readOnly)
	h := holdJob(t, app.adapter(t, prefix))
	a := viewer.adapter(t, prefix)
	ctx := testCtx(t)
	job := brokerlock.New(a).Item("job", brokerlock.Options{Timeout: 30 * time.Second})
	if reserved, err := job.IsReserved(ctx); err != nil || !reserved {
		t.Errorf("viewer's IsReserved: got (%v, %v), want (true, nil)", reserved, err)
	}
	wantInspectedHolder(t, job, h)
	if infos, err := a.List(ctx); err != nil || len(infos) != 1 || infos[0].ID != "job" {
		t.Errorf("viewer's List: got %+v, %v; want the lock job", infos, err)
	}
	if _, err := job.TryHold(ctx); !errors.Is(err, rpctypes.ErrPermissionDenied) {
		t.Errorf("viewer's TryHold: got %v, want PermissionDenied", err)
	}
	if _, err := a.ForceRelease(ctx, "job"); !errors.Is(err, rpctypes.ErrPermissionDenied) {
		t.Errorf("viewer's ForceRelease: got %v, want PermissionDenied", err)
	}
	wantHeld(t, root, h)
	if keys := keysUnder(t, root, prefix); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys under %q: got %q, want only the holder's %q", prefix, keys, h.Key())
	}
}
