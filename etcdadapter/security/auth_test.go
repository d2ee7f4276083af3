package security_test

import (
	"errors"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
)

// The whole conformance suite passes for a user whose only permission is
// readwrite on the adapter's prefix: every adapter is a client of its own
// logged in as that user.
func TestAuthConformance(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	prefix := testPrefix(t) + "tenant-a/"
	app := newTenant(t, srv, root, prefix, readWrite)
	brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
		return app.adapter(t, prefix)
	})
	requireNoKeys(t, root, prefix)
}

// Every operation of the API works for that user on its prefix: Hold,
// TryHold, IsReserved, Inspect (with the lease's expiry, which needs a
// lease lookup), List, Refresh, a KeepAlive hold, ForceRelease and
// Release.
func TestAuthEveryOperation(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	prefix := testPrefix(t) + "tenant-a/"
	app := newTenant(t, srv, root, prefix, readWrite)
	a := app.adapter(t, prefix)
	ctx := testCtx(t)
	job := brokerlock.New(a).Item("job", brokerlock.Options{TTL: 30 * time.Second, Timeout: 10 * time.Second})
	h, err := job.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if _, err := job.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("TryHold while held: got %v, want ErrLocked", err)
	}
	if reserved, err := job.IsReserved(ctx); err != nil || !reserved {
		t.Errorf("IsReserved while held: got (%v, %v), want (true, nil)", reserved, err)
	}
	wantInspectedHolder(t, job, h)
	if err := h.Refresh(ctx); err != nil {
		t.Errorf("Refresh: got %v, want nil", err)
	}
	kept := wantKeepAliveHold(t, app.adapter(t, prefix))
	infos, err := a.List(ctx)
	if err != nil || len(infos) != 2 || infos[0].ID != "job" || infos[1].ID != "kept" {
		t.Errorf("List: got %+v, %v; want the locks job and kept", infos, err)
	}
	if e, err := a.ForceRelease(ctx, "kept"); err != nil || e == nil || e.Token != kept.Token() {
		t.Errorf("ForceRelease(kept): got %+v, %v; want the entry of token %d", e, err, kept.Token())
	}
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
	requireNoKeys(t, root, prefix)
}

// wantInspectedHolder checks that Inspect names h as the holder, with the
// expiry of its lease.
func wantInspectedHolder(t *testing.T, it *brokerlock.Item, h *brokerlock.Hold) {
	t.Helper()
	info, err := it.Inspect(testCtx(t))
	switch {
	case err != nil:
		t.Errorf("Inspect: got error %v, want nil", err)
	case info.Holder == nil || info.Holder.Token != h.Token():
		t.Errorf("Inspect: got holder %+v, want token %d", info.Holder, h.Token())
	case info.Holder.Expires.IsZero():
		t.Errorf("Inspect: holder's Expires is zero, want its lease's expiry (lease lookup denied?)")
	}
}

// wantKeepAliveHold takes lock "kept" with KeepAlive through a and checks
// that it is held with a live lease.
func wantKeepAliveHold(t *testing.T, a brokerlock.Adapter) *brokerlock.Hold {
	t.Helper()
	it := brokerlock.New(a).Item("kept", brokerlock.Options{TTL: 5 * time.Second, KeepAlive: true, Timeout: 10 * time.Second})
	h, err := it.Hold(testCtx(t))
	if err != nil {
		t.Fatalf("KeepAlive Hold: got error %v, want the lock", err)
	}
	if err := h.Err(); err != nil {
		t.Errorf("KeepAlive hold's Err: got %v, want nil", err)
	}
	return h
}
