package security_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// With TLS client certificates and auth both on, etcd takes the
// certificate's common name as the user: no password, and no Authenticate
// request ever. A role on the prefix is then all the adapter needs, and a
// lock outside it is denied.
func TestCertificateUser(t *testing.T) {
	t.Parallel()
	srv := testutil.StartServer(t, testutil.WithTLS(), testutil.WithAuth())
	root := srv.RootClient(t)
	base := testPrefix(t)
	prefix := base + "tenant-a/"
	user := testutil.ClientCommonName
	_, err := root.UserAddWithOptions(testCtx(t), user, "", &clientv3.UserAddOptions{NoPassword: true})
	if err == nil {
		err = addRole(testCtx(t), root, user, prefix, readWrite)
	}
	if err != nil {
		t.Fatalf("grant %s readwrite on %q: %v", user, prefix, err)
	}
	calls := &rpcCounter{}
	cfg := srv.ClientConfig(t) // the client certificate, no user name
	cfg.DialOptions = calls.dialOptions()
	cli := testutil.NewClientWith(t, cfg)
	a := etcdadapter.New(cli, etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	h := holdJob(t, a)
	wantHeld(t, root, h)
	if err := h.Release(testCtx(t)); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
	intruder := etcdadapter.New(cli, etcdadapter.WithPrefix(base+"tenant-b/"))
	t.Cleanup(func() { _ = intruder.Close() })
	wantDenied(t, deniedOps()[0], intruder, "job")
	if got := calls.count(methodAuthenticate); got != 0 {
		t.Errorf("Authenticate requests: got %d, want 0 (the certificate names the user)", got)
	}
	requireNoKeys(t, root, base)
}
