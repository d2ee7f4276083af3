package etcdadapter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// benchHandoffLimit is the physical limit of a handoff on one lock, with
// bare clientv3 calls of its shape and nothing else: one delete commit
// (the holder's release) and then one linearizable read by another
// client (the next holder confirming that it leads; here of the deleted
// key, one index lookup, where a range over the queue would also pay for
// its tombstones), one after the other, over the clients of
// BenchmarkContended8. Keys are created before
// the timer starts, 128 to a txn. It reports handoffs/s and the p50/p99
// of one delete + read, as the scenario does; `make bench` shows the
// scenario's handoffs/s as a share of this.
func benchHandoffLimit(b *testing.B) {
	clients := benchClients(b, contenders)
	prefix := benchPrefix(b)
	ctx := b.Context()
	keys := limitKeys(b, clients[0], prefix, b.N)
	var clock handoffClock
	before := scrapeMetrics(b)
	b.ResetTimer()
	start := time.Now()
	for i, key := range keys {
		clock.hold()
		if _, err := clients[i%contenders].Delete(ctx, key); err != nil {
			b.Fatal(err)
		}
		if _, err := clients[(i+1)%contenders].Get(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
	clock.hold()
	elapsed := time.Since(start)
	b.StopTimer()
	clock.report(b, elapsed)
	clock.reportServer(b, before, scrapeMetrics(b))
	requireNoBenchKeys(b, prefix)
}

// limitKeys creates n keys under prefix, in txns of 128 puts.
func limitKeys(b *testing.B, c *clientv3.Client, prefix string, n int) []string {
	keys := make([]string, n)
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	for i := 0; i < n; i += 128 {
		var ops []clientv3.Op
		for j := i; j < min(i+128, n); j++ {
			keys[j] = fmt.Sprintf("%s%08d", prefix, j)
			ops = append(ops, clientv3.OpPut(keys[j], ""))
		}
		if _, err := c.Txn(ctx).Then(ops...).Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return keys
}
