// Command app is Deepkit's "use in an app" example done the Go way: main
// wires the etcd client, the adapter and the BrokerLock, and a Service
// receives its lock item through its constructor.
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 go run ./examples/app
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	endpoints := os.Getenv("ETCD_ENDPOINTS")
	if endpoints == "" {
		endpoints = "127.0.0.1:2379"
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer client.Close()
	adapter := etcdadapter.New(client)
	defer adapter.Close()

	service := NewService(provideCriticalLock(brokerlock.New(adapter)), func(ctx context.Context) error {
		fmt.Println("doing something critical; no other replica does it now")
		return nil
	})
	return service.DoSomethingCritical(ctx)
}
