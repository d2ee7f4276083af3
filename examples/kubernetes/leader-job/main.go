// Command leader-job runs as a Deployment with several replicas, of which
// only one at a time runs the critical job: the leader of an election.
// The others campaign and take over when it resigns (SIGTERM, rolling
// update) or loses its term.
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
// nil then, after the job stopped and the replica resigned. newJob builds
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
		etcdadapter.WithIdentity(cfg.Identity),
		etcdadapter.WithLogger(log))
	defer adapter.Close() // revokes whatever is still held; then the client closes
	replica := &Replica{
		Election: brokerlock.New(adapter).Election("leader-job", electionOptions),
		Value:    cfg.Identity, // `brokerlock elect --listen leader-job` shows which pod leads
		Job:      newJob(client),
		Log:      log,
	}
	return replica.Run(ctx)
}

// electionOptions: the lease is renewed while campaigning and leading;
// TTL only bounds how long a pod that vanished without resigning (node
// lost, SIGKILL) blocks the others. Standbys campaign without a timeout.
var electionOptions = brokerlock.ElectionOptions{TTL: 15 * time.Second}
