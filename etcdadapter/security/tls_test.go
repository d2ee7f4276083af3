package security_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// Against a server that takes only TLS clients with a certificate from
// its CA: the conformance suite passes and a Hold/Release round trip
// works for clients with one, and a client without one is refused.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := testutil.StartEtcdTLS(t)
	if got := srv.Endpoints()[0]; !strings.HasPrefix(got, "https://") {
		t.Fatalf("endpoint: got %q, want https://", got)
	}
	t.Run("Conformance", func(t *testing.T) {
		prefix := testPrefix(t)
		brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter { return tlsAdapter(t, srv, prefix) })
	})
	t.Run("HoldRelease", func(t *testing.T) { tlsHoldRelease(t, srv) })
	t.Run("NoClientCert", func(t *testing.T) { tlsNoClientCert(t, srv) })
}

// tlsAdapter is an adapter on a new client with the client certificate.
func tlsAdapter(t *testing.T, srv *testutil.Server, prefix string) *etcdadapter.Adapter {
	a := etcdadapter.New(srv.NewClient(t), etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// tlsHoldRelease: Hold puts the key, another TLS client sees it, Release
// removes it.
func tlsHoldRelease(t *testing.T, srv *testutil.Server) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	h := holdJob(t, tlsAdapter(t, srv, prefix))
	observer := srv.NewClient(t)
	if keys := keysUnder(t, observer, prefix); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys while held: got %q, want [%q]", keys, h.Key())
	}
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
	requireNoKeys(t, observer, prefix)
}

// tlsNoClientCert: a client that trusts the CA but has no certificate of
// its own is refused at the TLS handshake, so its connection fails at
// once. clientv3 waits for a ready connection until the request's context
// ends, so its requests fail with that context's error, and a Hold with
// ErrTimeout after Options.Timeout: bounded, never a hang, nothing left.
func tlsNoClientCert(t *testing.T, srv *testutil.Server) {
	prefix := testPrefix(t)
	cfg := srv.ClientConfig(t)
	tlsConfig, err := transport.TLSInfo{TrustedCAFile: srv.Files().CA}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = tlsConfig
	cli := testutil.NewClientWith(t, cfg)
	wantConnState(t, cli.ActiveConnection(), connectivity.TransientFailure)
	wantGetBounded(t, cli, time.Second)
	a := etcdadapter.New(cli, etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	it := brokerlock.New(a).Item("job", brokerlock.Options{Timeout: time.Second})
	start := time.Now()
	_, err = it.Hold(testCtx(t))
	if elapsed := time.Since(start); !errors.Is(err, brokerlock.ErrTimeout) || elapsed > 3*time.Second {
		t.Errorf("Hold without a client certificate: got %v after %v, want ErrTimeout after its 1s Timeout", err, elapsed)
	}
	requireNoKeys(t, srv.NewClient(t), prefix)
}

// wantConnState waits up to 5s for conn to reach state; it connects first.
func wantConnState(t *testing.T, conn *grpc.ClientConn, want connectivity.State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn.Connect()
	for got := conn.GetState(); got != want; got = conn.GetState() {
		if !conn.WaitForStateChange(ctx, got) {
			t.Fatalf("connection state: got %v after 5s, want %v", got, want)
		}
	}
}

// wantGetBounded checks that a Get on cli fails with its context's
// deadline d, and not much later.
func wantGetBounded(t *testing.T, cli *clientv3.Client, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	start := time.Now()
	_, err := cli.Get(ctx, "any")
	if elapsed := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || elapsed > d+2*time.Second {
		t.Errorf("Get without a client certificate: got %v after %v, want context.DeadlineExceeded after %v", err, elapsed, d)
	}
}
