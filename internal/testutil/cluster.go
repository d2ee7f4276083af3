package testutil

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// pollInterval is how often cluster state is polled while waiting for it.
const pollInterval = 50 * time.Millisecond

// Cluster is an n-member embedded etcd cluster on loopback whose members can
// be stopped and restarted. Each member keeps its ports and data directory
// across restarts. Its methods are safe for concurrent use as long as no two
// calls stop or restart the same member at once.
type Cluster struct {
	dir     string
	mu      sync.Mutex // guards members[i].etcd and members[i].stopping
	members []*member
}

// StartCluster starts an n-member cluster, waits until it has a leader and
// every member serves clients, and stops it when t's test finishes.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("testutil: StartCluster(%d): need at least one member", n)
	}
	c := &Cluster{dir: t.TempDir()} // removed after the Cleanup below ran
	t.Cleanup(func() {
		if err := c.stopAll(); err != nil {
			t.Error(err)
		}
	})
	if err := c.start(n); err != nil {
		t.Fatal(err)
	}
	c.Leader(t)
	return c
}

// start launches n members on fresh ports, trying again with new ports when
// a picked port was taken before etcd bound it.
func (c *Cluster) start(n int) error {
	var err error
	for range startAttempts {
		if err = c.tryStart(n); !isAddrInUse(err) {
			return err
		}
	}
	return err
}

// tryStart makes a fresh set of members and starts them all. On failure it
// stops them and wipes their data so a retry starts clean.
func (c *Cluster) tryStart(n int) error {
	ports, err := freePorts(2 * n)
	if err != nil {
		return err
	}
	c.members = newMembers(c.dir, ports)
	if err = c.launchAll(); err == nil {
		err = c.waitAllReady()
	}
	if err != nil {
		err = errors.Join(err, c.stopAll(), c.wipe())
	}
	return err
}

// newMembers returns the specs of a new cluster whose member i uses
// ports[2i] for clients and ports[2i+1] for peers.
func newMembers(dir string, ports []int) []*member {
	n := len(ports) / 2
	specs := make([]memberSpec, n)
	for i := range specs {
		name := fmt.Sprintf("m%d", i)
		specs[i] = newMemberSpec(name, filepath.Join(dir, name), ports[2*i], ports[2*i+1])
	}
	ic, token := initialCluster(specs), "testutil-"+filepath.Base(dir)
	ms := make([]*member, n)
	for i := range specs {
		specs[i].initialCluster, specs[i].clusterToken = ic, token
		ms[i] = &member{spec: specs[i]}
	}
	return ms
}

// launchAll launches all members concurrently (each new member first asks
// its peers whether it is already bootstrapped, which only times out if the
// peers are not up yet).
func (c *Cluster) launchAll() error {
	errs := make([]error, len(c.members))
	var wg sync.WaitGroup
	for i, m := range c.members {
		wg.Go(func() { errs[i] = c.launch(m) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// launch launches m, publishing its running server under c.mu.
func (c *Cluster) launch(m *member) error {
	tmp := member{spec: m.spec}
	if err := tmp.launch(); err != nil {
		return err
	}
	c.mu.Lock()
	m.etcd, m.stopping = tmp.etcd, tmp.stopping
	c.mu.Unlock()
	return nil
}

// waitAllReady waits until every member serves clients.
func (c *Cluster) waitAllReady() error {
	errs := make([]error, len(c.members))
	for i, m := range c.members {
		errs[i] = c.waitReady(m)
	}
	return errors.Join(errs...)
}

// waitReady waits until the launched m serves clients; on failure m is stopped.
func (c *Cluster) waitReady(m *member) error {
	c.mu.Lock()
	tmp := *m
	c.mu.Unlock()
	err := tmp.waitReady(readyTimeout)
	if err != nil {
		c.mu.Lock()
		m.etcd = nil
		c.mu.Unlock()
	}
	return err
}

// wipe removes every member's data directory.
func (c *Cluster) wipe() error {
	errs := make([]error, len(c.members))
	for i, m := range c.members {
		errs[i] = removeDir(m.spec.dir)
	}
	return errors.Join(errs...)
}

// stopAll hard-stops every running member concurrently (a graceful stop
// would try to hand leadership to a member that is stopping as well and
// wait ~7s for that to time out).
func (c *Cluster) stopAll() error {
	errs := make([]error, len(c.members))
	var wg sync.WaitGroup
	for i := range c.members {
		wg.Go(func() { errs[i] = c.stop(i, true) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stop stops member i if it runs, hard or gracefully (see member.stop).
func (c *Cluster) stop(i int, hard bool) error {
	c.mu.Lock()
	tmp := *c.members[i]
	c.members[i].etcd = nil
	c.mu.Unlock()
	return tmp.stop(hard)
}

// Endpoints returns all members' client URLs, running or not.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i := range c.members {
		eps[i] = c.MemberEndpoint(i)
	}
	return eps
}

// MemberEndpoint returns member i's client URL; it does not change across
// restarts.
func (c *Cluster) MemberEndpoint(i int) string {
	return c.members[i].spec.clientURL.String()
}

// NewClient returns a new client to all members that is closed when t's
// test finishes.
func (c *Cluster) NewClient(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := newClient(c.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// NewMemberClient returns a new client that talks only to member i, closed
// when t's test finishes; use it to check what that member alone serves.
func (c *Cluster) NewMemberClient(t testing.TB, i int) *clientv3.Client {
	t.Helper()
	cli, err := newClient([]string{c.MemberEndpoint(i)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// StopMember stops member i gracefully, as etcd does on SIGTERM (a leader
// first hands leadership to a follower, which takes about a second), and
// returns once its server has fully stopped. It fails t if member i is not
// running.
func (c *Cluster) StopMember(t testing.TB, i int) {
	t.Helper()
	c.stopMember(t, "StopMember", i, false)
}

// KillMember stops member i abruptly, like a killed process: a leader does
// not hand over leadership, so the others elect a new one only after an
// election timeout (1s). It returns once the server has fully stopped and
// fails t if member i is not running.
func (c *Cluster) KillMember(t testing.TB, i int) {
	t.Helper()
	c.stopMember(t, "KillMember", i, true)
}

// stopMember does the work of StopMember and KillMember.
func (c *Cluster) stopMember(t testing.TB, op string, i int, hard bool) {
	t.Helper()
	if !c.Running(i) {
		t.Fatalf("testutil: %s(%d): member is not running", op, i)
	}
	if err := c.stop(i, hard); err != nil {
		t.Fatal(err)
	}
}

// RestartMember starts the stopped member i again on the same ports, data
// directory and configuration (etcd finds its WAL and ignores the initial
// cluster settings) and returns once it serves clients: it has rejoined the
// cluster, caught up and published itself through raft. That needs a quorum
// including member i, so it cannot bring back a cluster whose members are
// all stopped; it fails t after 30s then, and at once if member i runs.
func (c *Cluster) RestartMember(t testing.TB, i int) {
	t.Helper()
	if c.Running(i) {
		t.Fatalf("testutil: RestartMember(%d): member is running", i)
	}
	m := c.members[i]
	err := retryAddrInUse(func() error { return c.launch(m) })
	if err == nil {
		err = c.waitReady(m)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Running reports whether member i is running.
func (c *Cluster) Running(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[i].running()
}

// Leader returns the index of the current leader. It asks every running
// member for its Status and waits (up to 30s) until they all name the same
// leader and that leader is one of them; otherwise it fails t.
func (c *Cluster) Leader(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		leader, err := c.agreedLeader(ctx)
		if err == nil {
			return leader
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testutil: no agreed leader after %v: %v", readyTimeout, err)
		case <-time.After(pollInterval):
		}
	}
}

// runningMembers returns the indexes and member IDs of the running members.
func (c *Cluster) runningMembers() (idx []int, ids []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, m := range c.members {
		if m.running() {
			idx, ids = append(idx, i), append(ids, m.id())
		}
	}
	return idx, ids
}

// agreedLeader asks each running member's Status once and returns the index
// of the leader they all name, or an error saying why there is none.
func (c *Cluster) agreedLeader(ctx context.Context) (int, error) {
	idx, ids := c.runningMembers()
	if len(idx) == 0 {
		return -1, errors.New("no member is running")
	}
	cli, err := newClient(c.Endpoints())
	if err != nil {
		return -1, err
	}
	defer cli.Close()
	leader := -1
	for _, i := range idx {
		l, err := c.memberLeader(ctx, cli, i, idx, ids)
		if err != nil {
			return -1, err
		}
		if leader != -1 && l != leader {
			return -1, fmt.Errorf("members disagree on the leader: member %d vs %d", leader, l)
		}
		leader = l
	}
	return leader, nil
}

// memberLeader returns the index (among the running idx with member IDs ids)
// of the leader that member i's Status names.
func (c *Cluster) memberLeader(ctx context.Context, cli *clientv3.Client, i int, idx []int, ids []uint64) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	st, err := cli.Status(sctx, c.MemberEndpoint(i))
	if err != nil {
		return -1, fmt.Errorf("status of member %d: %w", i, err)
	}
	for k, id := range ids {
		if id == st.Leader {
			return idx[k], nil
		}
	}
	return -1, fmt.Errorf("member %d names leader %x, which is not a running member", i, st.Leader)
}
