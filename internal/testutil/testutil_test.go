package testutil_test

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

var etcd *testutil.Etcd

func TestMain(m *testing.M) { testutil.Main(m, &etcd) }

// testCtx returns a context that ends after d or with the test.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestEtcdPutGet(t *testing.T) {
	cli := etcd.NewClient(t)
	ctx := testCtx(t, 10*time.Second)
	if _, err := cli.Put(ctx, "/testutil/single", "v1"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	resp, err := etcd.Client().Get(ctx, "/testutil/single")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got, want := len(resp.Kvs), 1; got != want {
		t.Fatalf("Get returned %d keys, want %d", got, want)
	}
	if got, want := string(resp.Kvs[0].Value), "v1"; got != want {
		t.Errorf("Get value = %q, want %q", got, want)
	}
}

// TestStartStopEtcd checks that a second Etcd runs beside the shared one and
// that Stop shuts its listener down and may be called twice.
func TestStartStopEtcd(t *testing.T) {
	e, err := testutil.StartEtcd()
	if err != nil {
		t.Fatalf("StartEtcd: %v", err)
	}
	if got, want := e.Endpoints()[0], etcd.Endpoints()[0]; got == want {
		t.Fatalf("second Etcd endpoint = %q, want one different from the shared %q", got, want)
	}
	if _, err := e.Client().Put(testCtx(t, 10*time.Second), "k", "v"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	e.Stop()
	e.Stop()
	if err := e.StopErr(); err != nil {
		t.Errorf("StopErr() = %v, want nil", err)
	}
	assertClosed(t, e.Endpoints()[0])
}

// assertClosed fails t if something still accepts connections at endpoint.
func assertClosed(t *testing.T, endpoint string) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("parse %q: %v", endpoint, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("dial %s after stop: connected, want connection refused", u.Host)
	}
}
