// Command chaosworker is one worker process of the fault harness
// (internal/chaos): its own etcd client and adapter, contending for one
// lock, semaphore, RW lock or election until SIGTERM, doing fenced writes
// while it holds, and logging every call and return as JSON lines on
// stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/chaos"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.endpoints, "endpoints", "", "etcd client URLs, comma-separated")
	flag.IntVar(&cfg.id, "w", 0, "worker number")
	flag.StringVar(&cfg.mode, "mode", "lock", "lock, semaphore, rwlock or election")
	flag.StringVar(&cfg.prefix, "prefix", "chaos/", "key prefix of the run")
	flag.DurationVar(&cfg.ttl, "ttl", 3*time.Second, "TTL of the holds' leases")
	flag.IntVar(&cfg.limit, "limit", 2, "semaphore limit")
	flag.BoolVar(&cfg.reader, "reader", false, "rwlock: hold as a reader")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "chaosworker:", err)
		os.Exit(1)
	}
}

type config struct {
	endpoints, mode, prefix string
	id, limit               int
	ttl                     time.Duration
	reader                  bool
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	client, err := clientv3.New(clientv3.Config{
		Endpoints:            strings.Split(cfg.endpoints, ","),
		DialTimeout:          5 * time.Second,
		DialKeepAliveTime:    5 * time.Second, // fxlock's defaults
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		return err
	}
	defer client.Close()
	adapter := etcdadapter.New(client, etcdadapter.WithPrefix(cfg.prefix+"q/"),
		etcdadapter.WithIdentity(fmt.Sprintf("w%d", cfg.id)))
	w := &worker{cfg: cfg, client: client, log: chaos.NewLog(os.Stdout),
		lock: brokerlock.New(adapter), data: cfg.prefix + "d/"}
	w.loop(ctx)
	err = adapter.Close()
	w.log.Add(chaos.Event{W: cfg.id, Op: chaos.OpExit, Err: errText(err)})
	return nil
}
