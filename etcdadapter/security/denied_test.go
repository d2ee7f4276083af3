package security_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// prompt is how soon a refused operation must fail: far below the
// Options.Timeout of 30s the items use, so a refusal that is retried until
// the timeout fails the test.
const prompt = 5 * time.Second

// deniedOp is one operation that a user without permission tries.
type deniedOp struct {
	name    string
	namesID bool // the error names the lock id
	call    func(ctx context.Context, a *etcdadapter.Adapter, id string) error
}

// deniedOps are the operations that need a permission on the prefix.
func deniedOps() []deniedOp {
	opts := brokerlock.Options{TTL: 5 * time.Second, Timeout: 30 * time.Second}
	keep := brokerlock.Options{TTL: 5 * time.Second, KeepAlive: true, Timeout: 30 * time.Second}
	return []deniedOp{
		{"Hold", true, holdOp(opts, false)},
		{"TryHold", true, holdOp(opts, true)},
		{"KeepAliveHold", true, holdOp(keep, false)},
		{"IsReserved", true, func(ctx context.Context, a *etcdadapter.Adapter, id string) error {
			_, err := brokerlock.New(a).Item(id, opts).IsReserved(ctx)
			return err
		}},
		{"Inspect", true, func(ctx context.Context, a *etcdadapter.Adapter, id string) error {
			_, err := brokerlock.New(a).Item(id, opts).Inspect(ctx)
			return err
		}},
		{"List", false, func(ctx context.Context, a *etcdadapter.Adapter, _ string) error {
			_, err := a.List(ctx)
			return err
		}},
		{"ForceRelease", false, func(ctx context.Context, a *etcdadapter.Adapter, id string) error {
			_, err := a.ForceRelease(ctx, id)
			return err
		}},
	}
}

// holdOp is Hold (or TryHold) of an item with opts.
func holdOp(opts brokerlock.Options, try bool) func(context.Context, *etcdadapter.Adapter, string) error {
	return func(ctx context.Context, a *etcdadapter.Adapter, id string) error {
		it := brokerlock.New(a).Item(id, opts)
		hold := it.Hold
		if try {
			hold = it.TryHold
		}
		_, err := hold(ctx)
		return err
	}
}

// A user whose role grants nothing on the adapter's prefix gets
// PermissionDenied from every operation at once, not after Timeout; each
// request is sent once (no retry loop) and nothing is left under the
// prefix. The lock is held meanwhile by a user who may, which stays
// untouched.
func TestNoPermissionFailsPromptly(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	base := testPrefix(t)
	prefix := base + "tenant-a/"
	app := newTenant(t, srv, root, prefix, readWrite)
	h := holdJob(t, app.adapter(t, prefix))
	outsider := newTenant(t, srv, root, base+"tenant-b/", readWrite)
	a, calls := outsider.countedAdapter(t, prefix)
	for _, op := range deniedOps() {
		t.Run(op.name, func(t *testing.T) { wantDenied(t, op, a, "job") })
	}
	if got, want := calls.count(methodTxn), 3; got != want {
		t.Errorf("Txn requests for 3 refused acquisitions: got %d, want %d (a refusal must not be retried)", got, want)
	}
	if got, want := calls.count(methodRange), 4; got != want {
		t.Errorf("Range requests for 4 refused reads (IsReserved, Inspect, List, ForceRelease's lookup): got %d, want %d (a refusal must not be retried)", got, want)
	}
	wantHeld(t, root, h)
	if err := h.Release(testCtx(t)); err != nil {
		t.Errorf("holder's Release: got %v, want nil", err)
	}
	requireNoKeys(t, root, base)
}

// wantDenied runs op through a on lock id and checks that it fails
// promptly with PermissionDenied, naming the lock when op has one.
func wantDenied(t *testing.T, op deniedOp, a *etcdadapter.Adapter, id string) {
	t.Helper()
	start := time.Now()
	err := op.call(testCtx(t), a, id)
	elapsed := time.Since(start)
	if !errors.Is(err, rpctypes.ErrPermissionDenied) || errorCode(err) != codes.PermissionDenied {
		t.Errorf("%s: got error %v (code %v), want rpctypes.ErrPermissionDenied (code PermissionDenied)", op.name, err, errorCode(err))
	}
	if elapsed > prompt {
		t.Errorf("%s: failed after %v, want within %v", op.name, elapsed, prompt)
	}
	if errors.Is(err, brokerlock.ErrTimeout) {
		t.Errorf("%s: got %v, want no ErrTimeout: a refusal is final", op.name, err)
	}
	if op.namesID && (err == nil || !strings.Contains(err.Error(), id)) {
		t.Errorf("%s: error %v does not name the lock %q", op.name, err, id)
	}
}

// errorCode is the gRPC code of an etcd error wrapped in err.
func errorCode(err error) codes.Code {
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return etcdErr.Code()
	}
	return codes.Unknown
}
