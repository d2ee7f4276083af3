package testutil_test

import (
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

// TestStartBinary checks that StartBinary serves clients beside the
// embedded etcd and that its process is gone when the test that started
// it ends.
func TestStartBinary(t *testing.T) {
	path := testutil.EtcdBinary(t)
	var endpoint string
	t.Run("serve", func(t *testing.T) {
		b := testutil.StartBinary(t, path)
		endpoint = b.Endpoints()[0]
		if endpoint == etcd.Endpoints()[0] {
			t.Fatalf("binary endpoint = %q, the shared embedded one's", endpoint)
		}
		cli := b.NewClient(t)
		ctx := testCtx(t, 10*time.Second)
		if _, err := cli.Put(ctx, "k", "v"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		resp, err := cli.Get(ctx, "k")
		if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
			t.Fatalf("Get: got %v, %v; want k=v", resp, err)
		}
	})
	assertClosed(t, endpoint)
}
