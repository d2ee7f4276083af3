package faults_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// An observer cut off from etcd while the election moves on and the
// history it would resume from is compacted still reports the current
// leader and value once it is reachable again, and then every change
// (Observe resyncs from a fresh read when its watch breaks; etcd's own
// Election.Observe stalls there, etcd issue #7815).
func TestObserveSurvivesCompaction(t *testing.T) {
	e := newEnv(t, "observe-compaction", electionMode(ttl))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := e.workers[0]
	leaders := brokerlock.New(w.adapter).Election(lockID, brokerlock.ElectionOptions{}).Observe(ctx)
	awaitLeader(t, leaders, "", "before the cut")
	w.cutOff()
	admin := etcdadapter.New(e.admin, etcdadapter.WithPrefix(e.prefix))
	defer admin.Close()
	term, err := brokerlock.New(admin).Election(lockID, brokerlock.ElectionOptions{TTL: ttl}).Campaign(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v2", "v3"} {
		if err := term.Proclaim(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := e.admin.Get(ctx, "any")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	w.heal()
	awaitLeader(t, leaders, "v3", "after the heal and the compaction")
	if err := term.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	awaitLeader(t, leaders, "", "after the leader resigned")
}

// awaitLeader reads leaders until one with value want arrives ("" for
// nobody leading), at most 20s.
func awaitLeader(t *testing.T, leaders <-chan brokerlock.Leader, want, when string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-leaders:
			if !ok {
				t.Fatalf("Observe %s: channel closed, want value %q", when, want)
			}
			if l.Value == want && (want != "") == (l.Key != "") {
				return
			}
		case <-timeout:
			t.Fatalf("Observe %s: no leader with value %q within 20s", when, want)
		}
	}
}
