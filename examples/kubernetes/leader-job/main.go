// Command leader-job runs as a Deployment with several replicas, of which
// only one at a time runs the critical job; the others wait for the lock
// and take over when it is released (SIGTERM, rolling update) or lost.
// See examples/kubernetes/README.md.
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 POD_NAME=pod-0 go run ./examples/kubernetes/leader-job
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// heartbeatEvery is how often the job writes its heartbeat.
const heartbeatEvery = 5 * time.Second

func main() {
	// Kubernetes stops a pod with SIGTERM, then SIGKILL after
	// terminationGracePeriodSeconds: run returns well before that.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err == nil {
		err = run(ctx, cfg, log, func(client *clientv3.Client) Job {
			return Heartbeat(client, cfg.HeartbeatKey(), cfg.Identity, heartbeatEvery)
		})
	}
	if err != nil {
		log.Error("leader-job failed", "err", err)
		os.Exit(1)
	}
	log.Info("leader-job stopped")
}

// run connects to etcd and runs this replica until ctx is done; it returns
// nil then, after the job stopped and the lock was released. newJob builds
// the job on the client (main passes Heartbeat; tests wrap it).
func run(ctx context.Context, cfg config, log *slog.Logger, newJob func(*clientv3.Client) Job) error {
	client, err := clientv3.New(cfg.Client)
	if err != nil {
		return err
	}
	defer client.Close()
	log = log.With("pod", cfg.Identity)
	adapter := etcdadapter.New(client,
		etcdadapter.WithPrefix(cfg.LockPrefix()),
		etcdadapter.WithIdentity(cfg.Identity), // `brokerlock status` shows which pod holds it
		etcdadapter.WithLogger(log))
	defer adapter.Close() // revokes whatever is still held; then the client closes
	replica := &Replica{
		Lock: brokerlock.New(adapter).Item("leader-job", lockOptions),
		Job:  newJob(client),
		Log:  log,
	}
	return replica.Run(ctx)
}

// lockOptions: renewed while held (KeepAlive), so the lock lasts until the
// replica releases it or stops renewing; TTL only bounds how long a pod
// that vanished without releasing (node lost, SIGKILL) blocks the others.
// Standbys wait without a timeout.
var lockOptions = brokerlock.Options{TTL: 15 * time.Second, KeepAlive: true, Timeout: -1, Label: "leader-job heartbeat"}
