package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"
)

// Scenario is one fault: Inject starts it and returns what ends it; the
// fault lasts For (the point of a fault is how long it lasts, so this is
// a timed wait on purpose).
type Scenario struct {
	Name   string
	Netns  bool // a partition: needs network namespaces
	For    func(load Workload) time.Duration
	Inject func(r *Run) (target string, heal func() error, err error)
	// Unsound, if set, says why an etcd server of a version breaks the
	// guarantees under this fault by itself (a server bug that no client
	// can mend), or "": the scenario is skipped there, saying why.
	Unsound func(etcdVersion string) string
}

func fixed(d time.Duration) func(Workload) time.Duration {
	return func(Workload) time.Duration { return d }
}

// pastTTL lasts until the holder's lease has expired on the server.
func pastTTL(l Workload) time.Duration { return l.TTL + 2*time.Second }

// Scenarios are every fault the harness injects.
var Scenarios = []Scenario{
	{Name: "holder-killed", For: fixed(time.Second), Inject: holderKilled},
	{Name: "waiter-killed", For: fixed(time.Second), Inject: waiterKilled},
	{Name: "holder-frozen", For: pastTTL, Inject: holderFrozen},
	{Name: "etcd-leader-killed", For: fixed(2 * time.Second), Inject: leaderKilled},
	{Name: "etcd-leader-frozen", For: fixed(4 * time.Second), Inject: leaderFrozen, Unsound: revokesAsDeposedLeader},
	{Name: "etcd-member-frozen", For: fixed(8 * time.Second), Inject: memberFrozen},
	{Name: "etcd-leader-isolated", Netns: true, For: fixed(5 * time.Second), Inject: leaderIsolated},
	{Name: "split-minority-majority", Netns: true, For: fixed(6 * time.Second), Inject: split},
	{Name: "one-way-leader-mute", Netns: true, For: fixed(5 * time.Second), Inject: oneWay},
	{Name: "holder-cut-from-leader", Netns: true, For: fixed(5 * time.Second), Inject: holderCutFromLeader},
	{Name: "holder-cut-off", Netns: true, For: pastTTL, Inject: holderCutOff},
	{Name: "holder-link-flapping", Netns: true, For: fixed(6 * time.Second), Inject: holderFlapping},
}

// revokesAsDeposedLeader: a leader paused longer than a lease's TTL
// (frozen here, or stuck in an fdatasync) revokes, when it runs again, the
// leases that expired by its clock, before it learns that another member
// leads and renewed them meanwhile; the revoke is forwarded and applied
// (etcd issue #15247). Every lock on etcd loses its exclusion then, etcd's
// Mutex as much as brokerlock's: a holder whose renewals all succeeded has
// its key deleted and learns of it from its watch, after the next one may
// have taken the lock. Fixed in etcd 3.4.31 and 3.5.13 (the leader makes
// sure it still leads before revoking).
func revokesAsDeposedLeader(etcdVersion string) string {
	firstFixed := map[int]int{4: 31, 5: 13} // by minor version: the first patch with the fix
	var major, minor, patch int
	if _, err := fmt.Sscanf(etcdVersion, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return ""
	}
	if first, ok := firstFixed[minor]; major == 3 && (minor < 4 || ok && patch < first) {
		return fmt.Sprintf("etcd %s revokes leases as a deposed leader (etcd issue #15247, fixed in 3.4.31 and 3.5.13)", etcdVersion)
	}
	return ""
}

func holderKilled(r *Run) (string, func() error, error) {
	w, err := r.holder()
	if err != nil {
		return "", nil, err
	}
	r.Fleet.Kill(w)
	return fmt.Sprintf("w%d", w.ID), func() error { return r.Fleet.Start(w) }, nil
}

func waiterKilled(r *Run) (string, func() error, error) {
	w := r.waiter()
	r.Fleet.Kill(w)
	return fmt.Sprintf("w%d", w.ID), func() error { return r.Fleet.Start(w) }, nil
}

func holderFrozen(r *Run) (string, func() error, error) {
	w, err := r.holder()
	if err != nil {
		return "", nil, err
	}
	r.Fleet.Freeze(w)
	return fmt.Sprintf("w%d", w.ID), func() error { r.Fleet.Thaw(w); return nil }, nil
}

func leaderKilled(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	m.proc.Kill()
	return m.Name, func() error { return r.Cluster.Start(m) }, nil
}

func leaderFrozen(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	return m.Name, freezeMember(m), nil
}

// memberFrozen silences a follower: its connections stay open and say
// nothing, the case where every watch on one gRPC stream stalls.
func memberFrozen(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	f := r.Cluster.Followers(m)[rand.IntN(2)]
	return f.Name, freezeMember(f), nil
}

func freezeMember(m *Member) func() error {
	m.proc.Signal(syscall.SIGSTOP)
	return func() error { m.proc.Signal(syscall.SIGCONT); return nil }
}

func leaderIsolated(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	err = r.Net.Partition([]*Host{m.Host}, hostsOf(r.Cluster.Followers(m)))
	return m.Name + " from the other members", r.Net.Heal, err
}

// split puts the leader and the first half of the workers on one side,
// the two followers and the other workers on the other.
func split(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	minority, majority := []*Host{m.Host}, hostsOf(r.Cluster.Followers(m))
	half := len(r.Fleet.Workers) / 2
	for i, w := range r.Fleet.Workers {
		if i < half {
			minority = append(minority, w.Host)
		} else {
			majority = append(majority, w.Host)
		}
	}
	err = r.Net.Partition(minority, majority)
	return fmt.Sprintf("%s+w0..w%d vs the rest", m.Name, half-1), r.Net.Heal, err
}

// oneWay drops what the leader sends to the followers; what they send
// still reaches it.
func oneWay(r *Run) (string, func() error, error) {
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	var errs []error
	for _, f := range r.Cluster.Followers(m) {
		errs = append(errs, r.Net.CutOneWay(m.Host, f.Host))
	}
	return m.Name + " -> followers", r.Net.Heal, errors.Join(errs...)
}

func holderCutFromLeader(r *Run) (string, func() error, error) {
	w, err := r.holder()
	if err != nil {
		return "", nil, err
	}
	m, err := r.leader()
	if err != nil {
		return "", nil, err
	}
	err = r.Net.Cut(w.Host, m.Host)
	return fmt.Sprintf("w%d from %s", w.ID, m.Name), r.Net.Heal, err
}

func holderCutOff(r *Run) (string, func() error, error) {
	w, err := r.holder()
	if err != nil {
		return "", nil, err
	}
	err = r.Net.SetLink(w.Host, false)
	return fmt.Sprintf("w%d", w.ID), r.Net.Heal, err
}

// holderFlapping takes the holder's link down and up every 400ms until
// healed.
func holderFlapping(r *Run) (string, func() error, error) {
	w, err := r.holder()
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var errs []error
		for up := false; ctx.Err() == nil; up = !up {
			errs = append(errs, r.Net.SetLink(w.Host, up))
			select {
			case <-ctx.Done():
			case <-time.After(400 * time.Millisecond):
			}
		}
		done <- errors.Join(errs...)
	}()
	return fmt.Sprintf("w%d", w.ID), func() error {
		cancel()
		return errors.Join(<-done, r.Net.Heal())
	}, nil
}

func hostsOf(ms []*Member) []*Host {
	var hs []*Host
	for _, m := range ms {
		hs = append(hs, m.Host)
	}
	return hs
}
