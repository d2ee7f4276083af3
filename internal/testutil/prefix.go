package testutil

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

var prefixSeq atomic.Int64

// KeyPrefix returns a key prefix under root that no other test of the
// process uses: root, the test's name ("/" and " " as "_"), a sequence
// number, "/".
func KeyPrefix(t testing.TB, root string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s%s-%d/", root, name, prefixSeq.Add(1))
}

// KeysUnder lists every key under prefix, in key order, as cli sees them;
// it fails t if etcd cannot say.
func KeysUnder(t testing.TB, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("get %q: %v", prefix, err)
	}
	keys := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}
