package faults_test

// Regression tests for the library bugs the fault suite found
// (RELIABILITY.md, "Findings"): each one failed before its fix.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/pkg/v3/proxy"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// probe is a cluster, an adapter straight to it and an adapter through
// one proxy per member, on one fresh prefix.
type probe struct {
	t       *testing.T
	cl      *testutil.Cluster
	prefix  string
	admin   *clientv3.Client
	direct  *etcdadapter.Adapter
	client  *clientv3.Client // through the proxies
	proxies []proxy.Server
	adapter *etcdadapter.Adapter // through the proxies
}

func newProbe(t *testing.T, members int) *probe {
	t.Helper()
	p := &probe{t: t, cl: testutil.StartCluster(t, members)}
	p.prefix = fmt.Sprintf("findings/%s-%d/", t.Name(), scenarioSeq.Add(1))
	p.admin = p.cl.NewClient(t)
	p.direct = etcdadapter.New(p.admin, etcdadapter.WithPrefix(p.prefix))
	p.client, p.proxies = proxiedClient(t, p.cl.Endpoints(), nil)
	p.adapter = etcdadapter.New(p.client, etcdadapter.WithPrefix(p.prefix))
	// Let the balancer connect to every member before any fault.
	for range 2 * members {
		if _, err := p.client.Get(bg(t, 5*time.Second), p.prefix); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { // before the admin client and the cluster stop
		_ = p.adapter.Close()
		_ = p.direct.Close()
		_ = p.client.Close()
		for _, px := range p.proxies {
			px.UnblackholeTx()
			px.UnblackholeRx()
			px.UndelayTx()
			_ = px.Close()
		}
	})
	return p
}

func (p *probe) cutOff() {
	for _, px := range p.proxies {
		px.BlackholeTx()
		px.BlackholeRx()
	}
}

func (p *probe) heal() {
	for _, px := range p.proxies {
		px.UnblackholeTx()
		px.UnblackholeRx()
	}
}

func (p *probe) keys() []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := p.admin.Get(ctx, p.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		p.t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

func bg(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Finding F1: a Hold whose requests a silent connection swallows (a
// half-open connection: a member host gone, a lost NAT entry, the proxy's
// blackhole) ends with ErrLockLost once the lease it queued on dies,
// instead of waiting out its Timeout. Before the fix the waiting RPCs
// (put, predecessor read, watch creation) watched only the caller's ctx.
func TestHoldEndsWithItsLease(t *testing.T) {
	p := newProbe(t, 1)
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 12 * time.Second}
	holder, err := brokerlock.New(p.direct).Item(lockID, opts).Hold(bg(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	waiter := brokerlock.New(p.adapter).Item(lockID, opts)
	if _, err := waiter.TryHold(bg(t, 10*time.Second)); !errors.Is(err, brokerlock.ErrLocked) {
		t.Fatalf("TryHold while held: %v, want ErrLocked (it also grants the waiter's lease)", err)
	}
	p.cutOff()
	start := time.Now()
	type answer struct {
		err error
		at  time.Duration
	}
	got := make(chan answer, 1)
	go func() {
		h, err := waiter.Hold(context.Background())
		if h != nil {
			_ = h.Release(context.Background())
		}
		got <- answer{err, time.Since(start)}
	}()
	// The 2s lease is untrusted 1.48s after its last renewal, so dead by
	// 1.5s; the server expires it by 2.5s.
	time.Sleep(3 * time.Second)
	if err := holder.Release(bg(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	p.heal()
	// Lease dead at ~1.5s; Acquire leaves the key to the dead lease and
	// waits for no clean-up over the still half-open connection.
	const want = 4 * time.Second
	var a answer
	select {
	case a = <-got:
	case <-time.After(want - time.Since(start)):
		a = <-got
		t.Errorf("Hold, cut off at 0s, its lease dead by ~1.5s, blackhole lifted at 3s: returned only after %v with %v; "+
			"want it to end once its lease died, within %v", a.at.Round(10*time.Millisecond), a.err, want)
	}
	if !errors.Is(a.err, brokerlock.ErrLockLost) {
		t.Errorf("Hold whose lease died while it waited: %v, want ErrLockLost", a.err)
	}
}

// Finding F2: with the README's client settings (no gRPC keepalive), one
// member of three going silent (its host gone without a TCP reset; here
// its proxy blackholed) does not cost a KeepAlive holder its lock: each
// renewal attempt has a deadline of its own and the next goes to another
// member. Before the fix one renewal hung until the lease was untrusted.
func TestSilentMemberKeepsHolds(t *testing.T) {
	p := newProbe(t, 3)
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 10 * time.Second}
	h, err := brokerlock.New(p.adapter).Item(lockID, opts).Hold(bg(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(context.Background())
	silent := p.proxies[0] // member 0: its host vanished
	silent.BlackholeTx()
	silent.BlackholeRx()
	defer func() {
		silent.UnblackholeTx()
		silent.UnblackholeRx()
	}()
	// Expires is when the lease stops being trusted: it must keep moving.
	start := time.Now()
	for time.Since(start) < 8*time.Second {
		select {
		case <-h.Done():
			t.Errorf("KeepAlive hold lost %v after member 0 of 3 went silent (members 1 and 2 fine): %v",
				time.Since(start).Round(10*time.Millisecond), h.Err())
			return
		case <-time.After(50 * time.Millisecond):
		}
		if late := time.Since(h.Expires()); late > 100*time.Millisecond {
			t.Errorf("KeepAlive hold's lease not renewed in time %v after member 0 of 3 went silent (members 1 and 2 fine): "+
				"Expires() passed %v ago", time.Since(start).Round(10*time.Millisecond), late.Round(10*time.Millisecond))
			return
		}
	}
}

// Finding F6: a holder cut off right after Hold is told (Done) before
// another process can take the lock. Before the fix the monitor created
// its first watch on its own goroutine, and clientv3's Watch waits for the
// server to confirm it; on a silent connection it never returned, so
// neither the lease's death, nor the hard TTL, nor Close ended the hold.
// An uncontended Hold returns right after its put, usually before the
// first watch is confirmed, so cutting off right after Hold shows it.
func TestCutOffHolderToldFirst(t *testing.T) {
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 10 * time.Second}
	for attempt := range 3 {
		p := newProbe(t, 1)
		h, err := brokerlock.New(p.adapter).Item(lockID, opts).Hold(bg(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		p.cutOff() // at once: its monitor's first watch is usually not confirmed yet
		cut := time.Now()
		h2, err := brokerlock.New(p.direct).Item(lockID, opts).Hold(bg(t, 10*time.Second))
		if err != nil {
			t.Fatalf("attempt %d: another process's Hold after the holder was cut off: %v", attempt, err)
		}
		select {
		case <-h.Done():
		default:
			t.Errorf("attempt %d: another process holds the lock (token %d, %v after the cut) while the cut-off holder's Done is still open, "+
				"its Expires() %v in the past", attempt, h2.Token(), time.Since(cut).Round(10*time.Millisecond),
				time.Since(h.Expires()).Round(10*time.Millisecond))
		}
		if err := h.Err(); !errors.Is(err, brokerlock.ErrLockLost) {
			t.Errorf("attempt %d: cut-off holder's Err: %v, want ErrLockLost", attempt, err)
		}
		_ = h2.Release(context.Background())
		p.heal()
	}
}

// Regression for a bug this suite found and f6c6cec fixed (finding F3 in
// RELIABILITY.md): after the lease under a hold was revoked from outside,
// the next Hold on the same adapter failed with etcd's raw "requested
// lease not found" until the lease goroutine noticed. Acquire now replaces
// the lease at once.
func TestHoldRightAfterLeaseRevoked(t *testing.T) {
	p := newProbe(t, 1)
	item := brokerlock.New(p.direct).Item(lockID, brokerlock.Options{TTL: 3 * time.Second, KeepAlive: true, Timeout: 10 * time.Second})
	for round := range 3 {
		h, err := item.Hold(bg(t, 10*time.Second))
		if err != nil {
			t.Fatalf("round %d: Hold: %v", round, err)
		}
		resp, err := p.admin.Get(bg(t, 5*time.Second), h.Key())
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("round %d: get the holder's key: %v", round, err)
		}
		if _, err := p.admin.Revoke(bg(t, 5*time.Second), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
			t.Fatal(err)
		}
		<-h.Done()
		if err := h.Release(context.Background()); !errors.Is(err, brokerlock.ErrLockLost) {
			t.Errorf("round %d: Release after the revoke: %v, want ErrLockLost", round, err)
		}
		h2, err := item.Hold(bg(t, 10*time.Second))
		if err != nil {
			t.Fatalf("round %d: Hold right after the lease was revoked from outside: %v; want a fresh lease and the lock", round, err)
		}
		_ = h2.Release(context.Background())
	}
}

// Finding F5: when an operator deletes the holder's key, the server lets
// the next waiter in at once, and the holder hears of it only when its
// watch delivers the delete, which a slow link (here 300ms) delays. The
// docs promised that Done closes first; they now say that only the fencing
// token protects this gap, and this test proves that it does: a write the
// old holder sends after the takeover is refused, and Done closes after.
func TestOutsideDeleteGapIsFenced(t *testing.T) {
	p := newProbe(t, 1)
	opts := brokerlock.Options{TTL: 5 * time.Second, KeepAlive: true, Timeout: 10 * time.Second}
	holder, err := brokerlock.New(p.adapter).Item(lockID, opts).Hold(bg(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release(context.Background())
	next := make(chan *brokerlock.Hold, 1)
	go func() {
		h, err := brokerlock.New(p.direct).Item(lockID, opts).Hold(context.Background())
		if err != nil {
			t.Error(err)
		}
		next <- h
	}()
	for deadline := time.Now().Add(10 * time.Second); len(p.keys()) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, px := range p.proxies {
		px.DelayRx(300*time.Millisecond, 0) // the holder hears etcd 300ms late
	}
	defer func() {
		for _, px := range p.proxies {
			px.UndelayRx()
		}
	}()
	if _, err := p.admin.Delete(bg(t, 5*time.Second), holder.Key()); err != nil {
		t.Fatal(err)
	}
	h2 := <-next
	if h2 == nil {
		return
	}
	defer h2.Release(context.Background())
	resp, err := p.client.Txn(bg(t, 5*time.Second)).If(etcdadapter.IsOwner(holder)).
		Then(clientv3.OpPut(p.prefix+"data", "stale")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Succeeded {
		t.Errorf("the old holder's write after an operator deleted its key and another process took the lock (token %d): applied, want refused by IsOwner",
			h2.Token())
	}
	select {
	case <-holder.Done():
	case <-time.After(5 * time.Second):
		t.Errorf("the old holder's Done still open 5s after its key was deleted")
	}
	if err := holder.Err(); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("old holder's Err: %v, want ErrLockLost", err)
	}
}

// Finding F7 (the real-process harness, internal/chaos: etcd-member-frozen,
// etcd-leader-isolated): a waiter whose watch stream is on a member that
// went silent is handed the lock within a few seconds of its release,
// not when gRPC's keepalive gives up on the connection (never, with the
// README's client settings). Before the fix every waiter's watch sat on
// the one stream and heard nothing. Now the stream is probed with a
// watch creation every second while it is open, and a silent one is left.
func TestWaiterOnSilentStreamIsHandedOff(t *testing.T) {
	p := newProbe(t, 3)
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 30 * time.Second}
	holder, err := brokerlock.New(p.direct).Item(lockID, opts).Hold(bg(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	all := p.pinToMember0()
	got := make(chan error, 1)
	var acquired time.Time // written before got is sent
	go func() {
		h, err := brokerlock.New(p.adapter).Item(lockID, opts).Hold(bg(t, 30*time.Second))
		acquired = time.Now()
		if err == nil {
			err = h.Release(context.Background())
		}
		got <- err
	}()
	for len(p.keys()) < 2 {
		time.Sleep(20 * time.Millisecond) // polling the server: the waiter's put has no event to await
	}
	p.silenceMember0(all)
	released := time.Now()
	if err := holder.Release(bg(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// bound: probeInterval + probeTimeout + a read attempt on the silent
	// member (2s) + another stream's creation, with slack
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("waiter on the silent member's stream: Hold: %v", err)
		}
		within(t, "waiter on the silent member's stream: acquired after the release", acquired.Sub(released), 8*time.Second)
	case <-time.After(20 * time.Second):
		t.Errorf("waiter on the silent member's stream: not acquired 20s after the release")
		p.heal()
		<-got
	}
}

// Finding F7 for holders: a holder whose own-key watch is on a member
// that went silent still learns within a few seconds that an operator
// deleted its key. Before, that watch sat on clientv3's default stream,
// unprobed, and heard nothing until gRPC's keepalive gave up on the
// connection (never, with the README's client settings). Now the
// adapter's own stream (ownkeys.go) is probed.
func TestHolderOnSilentStreamLearnsOfDelete(t *testing.T) {
	p := newProbe(t, 3)
	opts := brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 10 * time.Second}
	all := p.pinToMember0()
	holder, err := brokerlock.New(p.adapter).Item(lockID, opts).Hold(bg(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release(context.Background())
	p.silenceMember0(all)
	if _, err := p.admin.Delete(bg(t, 5*time.Second), holder.Key()); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	// bound: probeInterval + probeTimeout + a pause + the watch created
	// again on another member (a new stream may land on the silent member
	// again: probeTimeout more each time), with slack
	select {
	case <-holder.Done():
		within(t, "holder on the silent member's stream: told after its key was deleted", time.Since(deleted), 8*time.Second)
	case <-time.After(20 * time.Second):
		t.Errorf("holder on the silent member's stream: Done still open 20s after its key was deleted")
	}
	if err := holder.Err(); !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("holder's Err after its key was deleted: %v, want ErrLockLost", err)
	}
}

// pinToMember0 makes member 0 the proxied client's only endpoint, so the
// adapter's next watch stream goes there (its adapter has no stream open
// yet: no watch); silenceMember0 gives the client all its
// endpoints back and makes member 0 silent for it (healed at the end of
// the test).
func (p *probe) pinToMember0() (all []string) {
	all = p.client.Endpoints()
	p.client.SetEndpoints(all[0])
	return all
}

func (p *probe) silenceMember0(all []string) {
	time.Sleep(500 * time.Millisecond) // the watch is being created; nothing to await from outside
	p.client.SetEndpoints(all...)
	p.proxies[0].BlackholeTx()
	p.proxies[0].BlackholeRx()
	p.t.Cleanup(p.heal)
}

// Finding F7 for observers: Observe, on the adapter's stream, reports a
// new leader within a few seconds while the member its stream was on is
// silent.
func TestObserverOnSilentStreamSeesNewLeader(t *testing.T) {
	p := newProbe(t, 3)
	opts := brokerlock.ElectionOptions{TTL: 2 * time.Second}
	first, err := brokerlock.New(p.direct).Election(lockID, opts).Campaign(bg(t, 10*time.Second), "first")
	if err != nil {
		t.Fatal(err)
	}
	all := p.pinToMember0()
	leaders := brokerlock.New(p.adapter).Election(lockID, opts).Observe(bg(t, 60*time.Second))
	awaitLeader(t, leaders, "first", "at the start")
	p.silenceMember0(all)
	second := brokerlock.New(p.direct).Election(lockID, opts)
	campaign := make(chan error, 1)
	go func() {
		term, err := second.Campaign(bg(t, 10*time.Second), "second")
		if err == nil {
			t.Cleanup(func() { _ = term.Resign(context.Background()) })
		}
		campaign <- err
	}()
	if err := first.Resign(bg(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	resigned := time.Now()
	if err := <-campaign; err != nil {
		t.Fatal(err)
	}
	awaitLeader(t, leaders, "second", "after the resign, with the observer's member silent")
	within(t, "observer on the silent member's stream: saw the new leader after the resign", time.Since(resigned), 8*time.Second)
}

// within logs how long what took, d, and fails t if that was longer than
// bound.
func within(t *testing.T, what string, d, bound time.Duration) {
	t.Helper()
	t.Logf("%s: %v", what, d.Round(10*time.Millisecond))
	if d > bound {
		t.Errorf("%s: %v; want within %v", what, d.Round(10*time.Millisecond), bound)
	}
}
