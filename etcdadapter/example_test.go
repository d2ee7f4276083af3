package etcdadapter_test

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// An adapter on an existing etcd; close it before the client.
func ExampleNew() {
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:2379"}, DialTimeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	adapter := etcdadapter.New(client, etcdadapter.WithPrefix("myapp/locks/"))
	defer adapter.Close()

	lock := brokerlock.New(adapter)
	err = lock.Item("migrations", brokerlock.Options{KeepAlive: true}).Do(context.Background(),
		func(ctx context.Context) error {
			return nil // run the migrations; ctx is cancelled if the lock is lost
		})
	fmt.Println(err)
}

// Writes guarded by the fencing token are refused once the hold has
// ended, even if the holder has not noticed yet.
func ExampleIsOwner() {
	ctx := context.Background()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	adapter := etcdadapter.New(client)
	defer adapter.Close()
	h, err := brokerlock.New(adapter).Item("report", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		panic(err)
	}
	defer h.Release(ctx)

	resp, err := client.Txn(ctx).
		If(etcdadapter.IsOwner(h)).
		Then(clientv3.OpPut("reports/latest", "...")).
		Commit()
	if err == nil && !resp.Succeeded {
		fmt.Println("no longer the holder: write refused")
	}
}
