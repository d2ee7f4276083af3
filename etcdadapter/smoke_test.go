package etcdadapter_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	var inside, max atomic.Int32
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix("smoke/"))
		t.Cleanup(func() { a.Close() })
		it := brokerlock.New(a).Item("x", brokerlock.Options{TTL: 5 * time.Second})
		for g := 0; g < 3; g++ {
			wg.Go(func() {
				for i := 0; i < 10; i++ {
					h, err := it.Hold(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					n := inside.Add(1)
					if n > max.Load() {
						max.Store(n)
					}
					inside.Add(-1)
					if err := h.Release(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if max.Load() != 1 {
		t.Errorf("max inside = %d", max.Load())
	}
	resp, err := etcd.Client().Get(ctx, "smoke/", clientv3WithPrefix()...)
	if err != nil || len(resp.Kvs) != 0 {
		t.Errorf("left keys: %v %v", resp, err)
	}
}
