package security_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// The permissions a tenant's role can grant on its prefix.
var (
	readWrite = clientv3.PermissionType(clientv3.PermReadWrite)
	readOnly  = clientv3.PermissionType(clientv3.PermRead)
)

// authServer starts a server with auth enabled and returns it with a
// client logged in as root.
func authServer(t *testing.T) (*testutil.Server, *clientv3.Client) {
	t.Helper()
	srv := testutil.StartServer(t, testutil.WithAuth())
	return srv, srv.RootClient(t)
}

// tenant is a user whose one role grants perm on the key range of prefix
// and nothing else.
type tenant struct {
	srv                    *testutil.Server
	user, password, prefix string
}

var seq atomic.Int64 // numbers users and roles

// testPrefix is a key prefix no other test uses.
func testPrefix(t *testing.T) string { return testutil.KeyPrefix(t, "security/") }

// newTenant makes, as root, a user and a role granting perm on prefix.
func newTenant(t *testing.T, srv *testutil.Server, root *clientv3.Client, prefix string, perm clientv3.PermissionType) tenant {
	t.Helper()
	n := seq.Add(1)
	tn := tenant{srv: srv, user: fmt.Sprintf("app-%d", n), password: fmt.Sprintf("pw-%d", n), prefix: prefix}
	if err := addUser(testCtx(t), root, tn.user, tn.password, prefix, perm); err != nil {
		t.Fatalf("set up tenant %s on %q: %v", tn.user, prefix, err)
	}
	return tn
}

// addUser adds user with a role of its own that grants perm on prefix.
func addUser(ctx context.Context, root *clientv3.Client, user, password, prefix string, perm clientv3.PermissionType) error {
	if _, err := root.UserAdd(ctx, user, password); err != nil {
		return err
	}
	return addRole(ctx, root, user, prefix, perm)
}

// addRole gives the existing user a role of its own, user+"-role", that
// grants perm on prefix.
func addRole(ctx context.Context, root *clientv3.Client, user, prefix string, perm clientv3.PermissionType) error {
	role := user + "-role"
	if _, err := root.RoleAdd(ctx, role); err != nil {
		return err
	}
	if _, err := root.RoleGrantPermission(ctx, role, prefix, clientv3.GetPrefixRangeEnd(prefix), perm); err != nil {
		return err
	}
	_, err := root.UserGrantRole(ctx, user, role)
	return err
}

// adapter returns an adapter on a new client of the tenant's user whose
// locks live under prefix, closed when the test ends.
func (tn tenant) adapter(t *testing.T, prefix string) *etcdadapter.Adapter {
	t.Helper()
	a := etcdadapter.New(tn.srv.UserClient(t, tn.user, tn.password), etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// keysUnder lists every key under prefix, as cli (root) sees them.
func keysUnder(t *testing.T, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	return testutil.KeysUnder(t, cli, prefix)
}

// requireNoKeys fails t unless nothing is left under prefix.
func requireNoKeys(t *testing.T, cli *clientv3.Client, prefix string) {
	t.Helper()
	if keys := keysUnder(t, cli, prefix); len(keys) != 0 {
		t.Fatalf("keys left under %q: got %q, want none", prefix, keys)
	}
}

// testCtx returns a context that ends after 30s or with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
