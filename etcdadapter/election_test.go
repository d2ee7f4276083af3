package etcdadapter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

var electionOpts = brokerlock.ElectionOptions{TTL: 5 * time.Second}

// etcd's concurrency.Election on prefix+name and our Election on name
// are one election: each side sees the other's leader and value, waits
// behind it, and takes over when it resigns.
func TestElectionInteropWithEtcdElection(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session := newSession(t)
	theirs := concurrency.NewElection(session, prefix+"leader")
	ours := brokerlock.New(newAdapter(t, prefix)).Election("leader", electionOpts)

	if err := theirs.Campaign(ctx, "etcd"); err != nil {
		t.Fatal(err)
	}
	if got, err := ours.Leader(ctx); err != nil || got.Value != "etcd" {
		t.Fatalf("our Leader while etcd's Election leads: got (%+v, %v), want value %q", got, err, "etcd")
	}
	won := make(chan *brokerlock.Term, 1)
	go func() {
		term, err := ours.Campaign(ctx, "ours")
		if err != nil {
			t.Errorf("our Campaign behind etcd's leader: %v", err)
		}
		won <- term
	}()
	waitCandidates(t, ctx, prefix, "leader", 1)
	if err := theirs.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	term := <-won
	if term == nil {
		return
	}
	wantTheirLeader(t, ctx, theirs, "ours")
	if err := term.Proclaim(ctx, "proclaimed"); err != nil {
		t.Fatal(err)
	}
	wantTheirLeader(t, ctx, theirs, "proclaimed")
	theirTurn := make(chan error, 1)
	go func() { theirTurn <- theirs.Campaign(ctx, "etcd-again") }()
	waitCandidates(t, ctx, prefix, "leader", 1)
	if err := term.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-theirTurn; err != nil {
		t.Fatalf("etcd's Campaign after our Resign: %v", err)
	}
	if got, err := ours.Leader(ctx); err != nil || got.Value != "etcd-again" {
		t.Errorf("our Leader after etcd's Election took over: got (%+v, %v), want value %q", got, err, "etcd-again")
	}
	if err := theirs.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	requireNoKeys(t, prefix)
}

// etcd's Election.Observe reports our leader and each value it proclaims.
func TestEtcdObservesOurElection(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	session := newSession(t)
	octx, stop := context.WithCancel(ctx)
	defer stop()
	ours := brokerlock.New(newAdapter(t, prefix)).Election("leader", electionOpts)
	term, err := ours.Campaign(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Resign(ctx)
	observed := concurrency.NewElection(session, prefix+"leader").Observe(octx)
	for _, want := range []string{"v1", "v2"} {
		if want != "v1" {
			if err := term.Proclaim(ctx, want); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case resp := <-observed:
			if got := string(resp.Kvs[0].Value); got != want {
				t.Errorf("etcd's Observe: got value %q, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("etcd's Observe: nothing for value %q", want)
		}
	}
}

func wantTheirLeader(t *testing.T, ctx context.Context, e *concurrency.Election, want string) {
	t.Helper()
	resp, err := e.Leader(ctx)
	if err != nil || string(resp.Kvs[0].Value) != want {
		t.Errorf("etcd's Election.Leader: got (%v, %v), want value %q", resp, err, want)
	}
}

// waitCandidates waits until n candidates wait behind the leader: it
// watches the election's keys from a read of them, so no put is missed.
func waitCandidates(t *testing.T, ctx context.Context, prefix, name string, n int) {
	t.Helper()
	pfx := etcdadapter.LockPrefix(prefix, name)
	resp, err := etcd.Client().Get(ctx, pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	keys := resp.Count
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := etcd.Client().Watch(wctx, pfx, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	for keys != int64(n+1) {
		wr, ok := <-wch
		if !ok || wr.Err() != nil {
			t.Fatalf("waiting for %d candidates (%d keys): watch ended: %v", n, keys, ctx.Err())
		}
		for _, ev := range wr.Events {
			switch {
			case ev.Type == clientv3.EventTypeDelete:
				keys--
			case ev.IsCreate():
				keys++
			}
		}
	}
}

// A candidate whose key is deleted while it waits fails at once with
// ErrLockLost (etcd issue #19597: etcd's Election would still "win"),
// leaving nothing behind.
func TestCandidateKeyDeletedFailsAtOnce(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	bl := brokerlock.New(newAdapter(t, prefix))
	leader, err := bl.Election("e", electionOpts).Campaign(ctx, "leader")
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Resign(ctx)
	failed := make(chan error, 1)
	go func() {
		_, err := brokerlock.New(newAdapter(t, prefix)).Election("e", electionOpts).Campaign(ctx, "candidate")
		failed <- err
	}()
	waitCandidates(t, ctx, prefix, "e", 1)
	info, err := bl.Election("e", electionOpts).Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := etcd.Client().Delete(ctx, info.Waiters[0].Key); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if !errors.Is(err, brokerlock.ErrLockLost) {
			t.Errorf("Campaign whose key was deleted: got %v, want ErrLockLost", err)
		}
	case <-time.After(2 * time.Second): // a promise about time: "at once"
		t.Fatalf("Campaign whose key was deleted: still waiting after %v", time.Since(start))
	}
	if got := keysUnder(t, prefix); len(got) != 1 || got[0] != leader.Key() {
		t.Errorf("keys after the candidate failed: got %q, want only the leader's %q", got, leader.Key())
	}
}

// Proclaim after the leader's key was deleted fails with ErrLockLost and
// writes nothing; the term ends.
func TestProclaimAfterKeyDeleted(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	term, err := brokerlock.New(newAdapter(t, prefix)).Election("e", electionOpts).Campaign(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := etcd.Client().Delete(ctx, term.Key()); err != nil {
		t.Fatal(err)
	}
	if err := term.Proclaim(ctx, "v2"); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("Proclaim after the key was deleted: got %v, want ErrLockLost", err)
	}
	if !errors.Is(term.Err(), brokerlock.ErrLockLost) {
		t.Errorf("Err after the fenced Proclaim failed: got %v, want ErrLockLost", term.Err())
	}
	if err := term.Resign(ctx); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("Resign of a lost term: got %v, want ErrLockLost", err)
	}
	requireNoKeys(t, prefix)
}

// A write fenced by IsOwner(term) applies while the term lasts and not
// after Resign.
func TestIsOwnerFencesTerm(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	term, err := brokerlock.New(newAdapter(t, prefix)).Election("e", electionOpts).Campaign(ctx, "v")
	if err != nil {
		t.Fatal(err)
	}
	write := func() bool {
		resp, err := etcd.Client().Txn(ctx).If(etcdadapter.IsOwner(term)).Then(clientv3.OpPut(prefix+"data", "x")).Commit()
		if err != nil {
			t.Fatal(err)
		}
		return resp.Succeeded
	}
	if !write() {
		t.Errorf("write fenced by a live term: refused, want applied")
	}
	if err := term.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if write() {
		t.Errorf("write fenced by a resigned term: applied, want refused")
	}
}
