// Command quickstart shows brokerlock at work: four workers, each with its
// own etcd client as separate processes would have, contend for one lock.
// The timeline shows who waits, who holds with which fencing token, a
// hold that runs past its TTL and is told so before the next worker gets
// the lock, and a stale write refused by the fencing token.
//
//	go run ./examples/quickstart                  # starts an embedded etcd
//	ETCD_ENDPOINTS=127.0.0.1:2379 go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// worker is one process in the story: how long it works while holding the
// lock, and its lock's TTL.
type worker struct {
	name string
	work time.Duration
	ttl  time.Duration
}

var workers = []worker{
	{"alice", 800 * time.Millisecond, 10 * time.Second},
	{"bob", 300 * time.Millisecond, 10 * time.Second},
	{"carol", 3 * time.Second, time.Second}, // works longer than its TTL
	{"dave", 300 * time.Millisecond, 10 * time.Second},
}

const prefix = "brokerlock-quickstart/"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	endpoints, stop, err := etcdEndpoints()
	if err != nil {
		return err
	}
	defer stop()
	var wg sync.WaitGroup
	for i, w := range workers {
		time.Sleep(100 * time.Millisecond) // queue in this order: the lock is FIFO
		wg.Go(func() { runWorker(endpoints, w, i) })
	}
	wg.Wait()
	return checkNoKeys(endpoints)
}

// checkNoKeys shows that every hold's key is gone.
func checkNoKeys(endpoints []string) error {
	client, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer client.Close()
	lockPrefix := etcdadapter.LockPrefix(prefix, "nightly-report")
	resp, err := client.Get(context.Background(), lockPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	say("quickstart", "done: %d keys left under %q", resp.Count, lockPrefix)
	return nil
}

// etcdEndpoints uses ETCD_ENDPOINTS, or starts an embedded etcd.
func etcdEndpoints() ([]string, func(), error) {
	if env := os.Getenv("ETCD_ENDPOINTS"); env != "" {
		say("etcd", "using ETCD_ENDPOINTS=%s", env)
		return strings.Split(env, ","), func() {}, nil
	}
	e, err := testutil.StartEtcd()
	if err != nil {
		return nil, nil, err
	}
	say("etcd", "started an embedded etcd at %s (set ETCD_ENDPOINTS to use yours)", e.Endpoints()[0])
	return e.Endpoints(), e.Stop, nil
}

func runWorker(endpoints []string, w worker, i int) {
	client, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		say(w.name, "cannot connect: %v", err)
		return
	}
	defer client.Close()
	adapter := etcdadapter.New(client, etcdadapter.WithPrefix(prefix))
	defer adapter.Close()
	item := brokerlock.New(adapter).Item("nightly-report", brokerlock.Options{TTL: w.ttl, Timeout: 20 * time.Second})
	say(w.name, "waiting for %q (TTL %v)", item.ID(), w.ttl)
	h, err := item.Hold(context.Background())
	if err != nil {
		say(w.name, "gave up: %v", err)
		return
	}
	say(w.name, "holds it, token %d, expires in %v", h.Token(), time.Until(h.Expires()).Round(time.Millisecond))
	doWork(client, h, w)
	switch err := h.Release(context.Background()); {
	case errors.Is(err, brokerlock.ErrLockLost):
		say(w.name, "Release says the hold was lost before it (as Done had said)")
	case err != nil:
		say(w.name, "release: %v", err)
	default:
		say(w.name, "released it")
	}
}

// doWork works for w.work unless the lock is lost first, then writes the
// report guarded by the fencing token.
func doWork(client *clientv3.Client, h *brokerlock.Hold, w worker) {
	select {
	case <-time.After(w.work):
	case <-h.Done():
		say(w.name, "told it lost the lock: %v", h.Err())
		time.Sleep(w.work / 2) // a stuck worker finishes late anyway...
	}
	resp, err := client.Txn(context.Background()).
		If(etcdadapter.IsOwner(h)).
		Then(clientv3.OpPut(prefix+"report", "written by "+w.name)).
		Commit()
	switch {
	case err != nil:
		say(w.name, "write failed: %v", err)
	case resp.Succeeded:
		say(w.name, "wrote the report (guarded by token %d)", h.Token())
	default:
		say(w.name, "write REFUSED: token %d no longer holds the lock", h.Token())
	}
}

var (
	start = time.Now()
	outMu sync.Mutex
	out   io.Writer = os.Stdout
)

func say(who, format string, args ...any) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(out, "%6.2fs  %-10s %s\n", time.Since(start).Seconds(), who, fmt.Sprintf(format, args...))
}
