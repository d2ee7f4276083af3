package etcdadapter_test

import (
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// TestConformanceBehindGRPCProxy runs the suite with every adapter on its
// own client of etcd's gRPC proxy, which numbers watches itself and
// confirms them out of order: the adapter's watch stream must tell its
// watches apart anyway. The proxy answers a lease renewal only when its
// own client next renews the lease (up to a third of the TTL plus 500ms
// later), so KeepAlive is checked with a 5s TTL there; and a waiter's
// first put takes two more hops (a lease grant and the put, each through
// the proxy), so it is given 500ms to queue (make test failed once on
// 100ms, with every package's tests running).
func TestConformanceBehindGRPCProxy(t *testing.T) {
	proxy := testutil.StartGRPCProxy(t, etcd.Endpoints())
	brokerlocktest.RunWith(t, func(t *testing.T) brokerlock.Adapter {
		a := etcdadapter.New(proxy.NewClient(t), etcdadapter.WithPrefix("proxied/"))
		t.Cleanup(func() { a.Close() })
		return a
	}, brokerlocktest.Config{KeepAliveTTL: 5 * time.Second, QueueDelay: 500 * time.Millisecond})
}

// The adapter's stream sends watch creates back to back only to a server
// that keeps the IDs it is given (etcd); to etcd's gRPC proxy, which
// numbers watches itself, it sends one at a time.
func TestWatchCreatesBackToBackOnlyWhereIDsAreKept(t *testing.T) {
	proxy := testutil.StartGRPCProxy(t, etcd.Endpoints())
	tests := []struct {
		name   string
		client *clientv3.Client
		want   bool
	}{
		{"etcd", etcd.NewClient(t), true},
		{"grpc proxy", proxy.NewClient(t), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pfx := testPrefix(t)
			a := etcdadapter.New(tt.client, etcdadapter.WithPrefix(pfx))
			defer a.Close()
			ch, stop := etcdadapter.RelayPrefix(a, pfx+"x/")
			defer stop()
			if resp := nextResponse(t, ch); !resp.Created {
				t.Fatalf("first response: got %v, want the watch's creation", resp)
			}
			if got := etcdadapter.WatchIDsKept(a); got != tt.want {
				t.Errorf("IDs kept (creates back to back): got %v, want %v", got, tt.want)
			}
		})
	}
}
