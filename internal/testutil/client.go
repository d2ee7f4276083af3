package testutil

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ClientConfig returns the configuration of every client made here:
// endpoints, a DialTimeout of 5s and an error-only logger. Add TLS or
// credentials to it and pass it to NewClientWith.
func ClientConfig(endpoints []string) clientv3.Config {
	return clientConfig(endpoints)
}

// NewClientWith returns a new client with cfg that is closed when t's test
// finishes; it fails t if clientv3.New fails (with credentials, New
// authenticates first).
func NewClientWith(t testing.TB, cfg clientv3.Config) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("testutil: new etcd client to %v: %v", cfg.Endpoints, err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}
