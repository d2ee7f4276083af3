package testutil_test

import (
	"context"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/internal/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestClusterLeaderFailover stops the leader of a 3-member cluster (gracefully
// and abruptly), writes through the survivors, restarts the old leader and
// reads the write back from it alone.
func TestClusterLeaderFailover(t *testing.T) {
	stops := []struct {
		name string
		stop func(*testutil.Cluster, testing.TB, int)
	}{
		{"StopMember", (*testutil.Cluster).StopMember},
		{"KillMember", (*testutil.Cluster).KillMember},
	}
	for _, s := range stops {
		t.Run(s.name, func(t *testing.T) { testLeaderFailover(t, s.stop) })
	}
}

// testLeaderFailover is TestClusterLeaderFailover with one way to stop.
func testLeaderFailover(t *testing.T, stop func(*testutil.Cluster, testing.TB, int)) {
	c := testutil.StartCluster(t, 3)
	if got, want := len(c.Endpoints()), 3; got != want {
		t.Fatalf("len(Endpoints()) = %d, want %d", got, want)
	}
	cli := c.NewClient(t)
	old := c.Leader(t)
	if old < 0 || old >= 3 {
		t.Fatalf("Leader() = %d, want an index in [0,3)", old)
	}

	stop(c, t, old)
	if c.Running(old) {
		t.Fatalf("Running(%d) = true after stopping it, want false", old)
	}
	assertClosed(t, c.MemberEndpoint(old))
	putEventually(t, cli, "/testutil/failover", "written-while-down")
	if got := c.Leader(t); got == old {
		t.Fatalf("Leader() after stopping leader %d = %d, want another member", old, got)
	}

	c.RestartMember(t, old)
	if !c.Running(old) {
		t.Fatalf("Running(%d) = false after RestartMember, want true", old)
	}
	only := c.NewMemberClient(t, old)
	assertStatus(t, only, c.MemberEndpoint(old))
	assertValue(t, only, "/testutil/failover", "written-while-down", clientv3.WithSerializable())
	assertValue(t, only, "/testutil/failover", "written-while-down")
	if got := c.Leader(t); got < 0 || got >= 3 {
		t.Errorf("Leader() after restart = %d, want an index in [0,3)", got)
	}
}

// TestClusterRestartFollower stops and restarts a follower twice, checking
// the cluster keeps serving and the follower catches up each time.
func TestClusterRestartFollower(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	cli := c.NewClient(t)
	f := (c.Leader(t) + 1) % 3
	for _, want := range []string{"one", "two"} {
		c.StopMember(t, f)
		putEventually(t, cli, "/testutil/follower", want)
		c.RestartMember(t, f)
		assertValue(t, c.NewMemberClient(t, f), "/testutil/follower", want, clientv3.WithSerializable())
	}
}

// putEventually retries Put until it succeeds or 30s passed: right after a
// member stops, a request routed to it, or made before a new leader is
// elected, fails or times out.
func putEventually(t *testing.T, cli *clientv3.Client, key, val string) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := cli.Put(pctx, key, val)
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("Put(%q) never succeeded within 30s, last error: %v", key, err)
		}
	}
}

// assertStatus fails t unless endpoint answers Status naming a leader.
func assertStatus(t *testing.T, cli *clientv3.Client, endpoint string) {
	t.Helper()
	st, err := cli.Status(testCtx(t, 10*time.Second), endpoint)
	if err != nil {
		t.Fatalf("Status(%s): %v", endpoint, err)
	}
	if st.Leader == 0 {
		t.Errorf("Status(%s).Leader = 0, want a leader", endpoint)
	}
}

// assertValue fails t unless key reads as want through cli.
func assertValue(t *testing.T, cli *clientv3.Client, key, want string, opts ...clientv3.OpOption) {
	t.Helper()
	resp, err := cli.Get(testCtx(t, 10*time.Second), key, opts...)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("Get(%q) returned %d keys, want 1", key, len(resp.Kvs))
	}
	if got := string(resp.Kvs[0].Value); got != want {
		t.Errorf("Get(%q) = %q, want %q", key, got, want)
	}
}
