package fxlock_test

import (
	"context"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/fxlock"
)

// criticalLock is a service's lock type, as in Deepkit's
// type MyCriticalLock = BrokerLockItem.
type criticalLock struct{ *brokerlock.Item }

// config returns a Config for the test etcd with a prefix of the test's own.
func config(t *testing.T) fxlock.Config {
	return fxlock.Config{
		Endpoints: etcd.Endpoints(),
		Prefix:    "fxlock-test/" + strings.ReplaceAll(t.Name(), "/", "_") + "/",
		Identity:  "fxlock-test-process",
	}
}

// keysUnder counts the keys under prefix, read with the shared client.
func keysUnder(t *testing.T, prefix string) int64 {
	t.Helper()
	resp, err := etcd.Client().Get(context.Background(), prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("count keys under %q: %v", prefix, err)
	}
	return resp.Count
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
