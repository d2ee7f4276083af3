package compat_test

import (
	"context"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// TestEtcdBinary starts the installed etcd binary once and checks, each in
// a subtest, that the server is that binary, that the v3.7 client calls
// the adapter makes work on it, that the conformance suite passes and
// that our locks and etcd's concurrency.Mutex still exclude each other.
func TestEtcdBinary(t *testing.T) {
	path := testutil.EtcdBinary(t)
	srv := testutil.StartBinary(t, path)
	t.Run("Version", func(t *testing.T) { serverVersion(t, srv, path) })
	t.Run("ClientCalls", func(t *testing.T) { clientCalls(t, srv) })
	t.Run("Conformance", func(t *testing.T) {
		prefix := testPrefix(t)
		brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter { return newAdapter(t, srv, prefix) })
	})
	t.Run("MutexExcludesUs", func(t *testing.T) { mutexExcludesUs(t, srv) })
	t.Run("MutexWaitsForUs", func(t *testing.T) { mutexWaitsForUs(t, srv) })
}

// versionLine is the version line of `etcd --version`.
var versionLine = regexp.MustCompile(`(?m)^etcd Version: (\S+)$`)

// serverVersion: the server reports the version `etcd --version` prints,
// so the tests talk to the binary and not to some other etcd.
func serverVersion(t *testing.T, srv *testutil.Binary, path string) {
	out, err := exec.Command(path, "--version").Output()
	m := versionLine.FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("%s --version: got %q, %v; want a line \"etcd Version: X\"", path, out, err)
	}
	st, err := srv.NewClient(t).Status(testCtx(t), srv.Endpoints()[0])
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if got, want := st.Version, string(m[1]); got != want {
		t.Errorf("server version: got %q, want %q from %s --version", got, want, path)
	}
	t.Logf("etcd server %s from %s", st.Version, path)
}

// newAdapter is one more process: a client and an adapter on prefix.
func newAdapter(t *testing.T, srv *testutil.Binary, prefix string) *etcdadapter.Adapter {
	a := etcdadapter.New(srv.NewClient(t), etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// testPrefix is a key prefix no other test uses.
func testPrefix(t *testing.T) string { return testutil.KeyPrefix(t, "compat/") }

// testCtx returns a context that ends after 30s or with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
