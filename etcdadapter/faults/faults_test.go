package faults_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// ttl is the lock TTL of every scenario: short, to keep the suite fast.
const ttl = 2 * time.Second

// scenario is one fault, injected while the workers contend.
type scenario struct {
	name  string
	mode  mode // of the default run; the soak runs both
	fault func(e *env, res *result)
}

var scenarios = []scenario{
	{"leader-killed", keepAliveMode(ttl), faultLeaderKilled},
	{"follower-restarted", keepAliveMode(ttl), faultFollowerRestarted},
	{"holder-cut-off", keepAliveMode(ttl), faultHolderCutOff},
	{"holder-paused", hardMode(ttl), faultHolderPaused},
	{"key-deleted", keepAliveMode(ttl), faultKeyDeleted},
	{"lease-revoked", keepAliveMode(ttl), faultLeaseRevoked},
	{"etcd-unreachable", hardMode(ttl), faultAllUnreachable},
	{"member-silent", keepAliveMode(ttl), faultMemberSilent},
	// The same faults with the workers as election candidates: a term
	// must end (Done) before the next candidate leads, and the writes
	// fenced by the term's token are checked as the lock's are.
	{"leader-killed", electionMode(ttl), faultLeaderKilled},
	{"holder-cut-off", electionMode(ttl), faultHolderCutOff},
	{"key-deleted", electionMode(ttl), faultKeyDeleted},
	// With the workers holding permits of a semaphore of limit 3 (four
	// workers): never more than 3 holders, by the client's view and by
	// the server's history (each applied fenced write made while its key
	// was among the 3 oldest).
	{"leader-killed", semaphoreMode(ttl), faultLeaderKilled},
	{"holder-cut-off", semaphoreMode(ttl), faultHolderCutOff},
	// Three readers and a writer on an RWLock: a reader is cut off while
	// the writer waits behind it.
	{"reader-cut-off", rwMode(ttl), faultReaderCutOff},
}

// TestFaults runs every scenario once, in its default TTL mode.
func TestFaults(t *testing.T) {
	start := len(results)
	for _, sc := range scenarios {
		t.Run(sc.name+"/"+sc.mode.name, func(t *testing.T) { runScenario(t, sc, sc.mode, 1, time.Second) })
	}
	report(t, results[start:])
}

// TestSoak runs every scenario in both TTL modes, BROKERLOCK_SOAK rounds
// each (make soak).
func TestSoak(t *testing.T) {
	v := os.Getenv("BROKERLOCK_SOAK")
	if v == "" {
		t.Skip("soak: set BROKERLOCK_SOAK=N (N rounds of every fault in both TTL modes), or run `make soak`")
	}
	rounds, err := strconv.Atoi(v)
	if err != nil || rounds < 1 {
		t.Fatalf("BROKERLOCK_SOAK=%q: want a positive number of rounds", v)
	}
	start := len(results)
	for _, sc := range scenarios {
		modes := []mode{keepAliveMode(ttl), hardMode(ttl)}
		if sc.mode.election || sc.mode.limit > 0 || sc.mode.rw {
			modes = []mode{sc.mode}
		}
		for _, m := range modes {
			t.Run(sc.name+"/"+m.name, func(t *testing.T) { runScenario(t, sc, m, rounds, 3*time.Second) })
		}
	}
	report(t, results[start:])
}

// runScenario runs sc's fault rounds times while the workers contend,
// waiting after each for every worker to hold the lock again and then gap,
// and checks the run.
func runScenario(t *testing.T, sc scenario, m mode, rounds int, gap time.Duration) {
	e := newEnv(t, sc.name, m)
	res := &result{scenario: sc.name, mode: m.name, rounds: rounds}
	finished := false
	t.Cleanup(func() { // registered after newEnv's: runs before the shutdown
		if !finished && t.Failed() {
			e.logTimeline()
		}
	})
	e.run()
	if !e.waitFor(20*time.Second, func() bool { return e.rec.holdCount() >= 2*len(e.workers) }) {
		t.Fatalf("warm-up: only %d holds in 20s", e.rec.holdCount())
	}
	for range rounds {
		sc.fault(e, res)
		e.awaitRecovery()
		time.Sleep(gap)
	}
	finished = true
	e.finish(res)
}

// awaitRecovery waits until every worker held the lock after the last heal,
// at most the liveness bound (checkLiveness reports a miss).
func (e *env) awaitRecovery() {
	var last time.Time
	e.rec.mu.Lock()
	for _, ev := range e.rec.events {
		if ev.kind != evFault {
			last = ev.at
		}
	}
	e.rec.mu.Unlock()
	e.waitFor(e.liveBound(evHealCut)+time.Second, func() bool {
		for _, at := range e.rec.firstAcquiredAfter(last) {
			if at.IsZero() {
				return false
			}
		}
		return true
	})
}

// takeHook waits for the hook set with setHook to hand over its hold.
func (e *env) takeHook(got <-chan *holdRec) *holdRec {
	e.t.Helper()
	select {
	case hr := <-got:
		return hr
	case <-time.After(20 * time.Second):
		e.t.Fatal("no worker acquired within 20s to take the fault")
		return nil
	}
}

// otherAcquiredAfter returns when a worker other than w first acquired at
// or after t (zero if none has).
func (e *env) otherAcquiredAfter(t time.Time, w int) time.Time {
	var first time.Time
	for i, at := range e.rec.firstAcquiredAfter(t) {
		if i != w && !at.IsZero() && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

func (res *result) note(format string, args ...any) {
	res.notes = append(res.notes, fmt.Sprintf(format, args...))
}

// expectLost fails unless hr ended with ErrLockLost within d.
func (e *env) expectLost(hr *holdRec, d time.Duration, why string) {
	e.t.Helper()
	select {
	case <-hr.h.Done():
	case <-time.After(d):
		e.t.Errorf("%s: w%d's hold still not told (Done open) %v later", why, hr.worker, d)
		return
	}
	if err := hr.h.Err(); !errors.Is(err, brokerlock.ErrLockLost) {
		e.t.Errorf("%s: w%d's hold ended with %v, want ErrLockLost", why, hr.worker, err)
	}
}

// The leader is killed (no leadership hand-over) while the workers
// contend, and restarted 3s later. testutil.KillMember stops raft at once
// but, unlike a killed process, leaves the member's client streams open for
// etcd's request timeout (7s) with no events on them: a waiter whose
// predecessor watch runs on that member waits that long (evHealFrozen).
func faultLeaderKilled(e *env, res *result) {
	l := e.cl.Leader(e.t)
	e.rec.event(fmt.Sprintf("leader m%d killed", l), evHealFrozen)
	e.cl.KillMember(e.t, l)
	time.Sleep(3 * time.Second)
	e.cl.RestartMember(e.t, l)
	e.rec.event(fmt.Sprintf("m%d restarted", l), evHeal)
	res.note("killed leader m%d, restarted it 3s later; new leader m%d", l, e.cl.Leader(e.t))
}

// A follower is stopped and restarted 2s later.
func faultFollowerRestarted(e *env, res *result) {
	f := (e.cl.Leader(e.t) + 1) % 3
	e.rec.event(fmt.Sprintf("follower m%d stopped", f), evHeal)
	e.cl.StopMember(e.t, f)
	time.Sleep(2 * time.Second)
	e.cl.RestartMember(e.t, f)
	e.rec.event(fmt.Sprintf("m%d restarted", f), evHeal)
}

// The holder's client is cut off from every member (both directions
// blackholed, connections left open) past the lease's TTL, then healed. It
// keeps working, checking Done before each write. It must be told before
// another worker gets the lock, and the others must take over.
func faultHolderCutOff(e *env, res *result) {
	got := make(chan *holdRec, 1)
	e.setHook(func(w *worker, hr *holdRec) {
		w.cutOff()
		got <- hr
	})
	hr := e.takeHook(got)
	w := e.workers[hr.worker]
	cutAt := e.rec.event(fmt.Sprintf("holder w%d cut off", w.id), evFault)
	if e.mode.limit > 0 {
		// The other permits go round meanwhile: whether the cut-off
		// holder was told before one too many held is the recorder's
		// check at every acquisition; here, it must be told in time.
		e.expectLost(hr, e.mode.blockBound, "cut-off permit holder, within the lease bound")
	} else {
		e.waitFor(e.mode.blockBound+liveSlack, func() bool { return !e.otherAcquiredAfter(cutAt, w.id).IsZero() })
		e.expectLost(hr, time.Millisecond, "cut-off holder, once another worker held the lock")
	}
	if rest := time.Until(cutAt.Add(e.mode.blockBound + time.Second)); rest > 0 {
		time.Sleep(rest) // past the lease's TTL
	}
	w.heal()
	e.rec.event(fmt.Sprintf("w%d healed", w.id), evHealCut)
	if other := e.otherAcquiredAfter(cutAt, w.id); other.IsZero() || other.Sub(cutAt) > e.liveBound(evHeal) {
		e.t.Errorf("no other worker held the lock within %v of cutting off holder w%d", e.liveBound(evHeal), w.id)
	} else {
		res.note("cut-off holder w%d told after %v, next holder after %v (lease bound %v)",
			w.id, e.rec.toldAfter(hr, cutAt), other.Sub(cutAt).Round(10*time.Millisecond), e.mode.blockBound)
	}
}

// A reader is cut off from every member past the lease's TTL (connections
// left open) while the writer queues behind it, then healed. It must be
// told (Done) before the writer holds, and the writer must hold within the
// lease bound of the cut.
func faultReaderCutOff(e *env, res *result) {
	got := make(chan *holdRec, 1)
	var hook hookFunc
	hook = func(w *worker, hr *holdRec) {
		if !hr.shared {
			e.setHook(hook) // the writer: wait for a reader
			return
		}
		w.cutOff()
		got <- hr
	}
	e.setHook(hook)
	hr := e.takeHook(got)
	w := e.workers[hr.worker]
	writer := len(e.workers) - 1
	cutAt := e.rec.event(fmt.Sprintf("reader w%d cut off", w.id), evFault)
	writerAfterCut := func() time.Time { return e.rec.firstAcquiredAfter(cutAt)[writer] }
	e.waitFor(e.mode.blockBound+liveSlack, func() bool { return !writerAfterCut().IsZero() })
	e.expectLost(hr, time.Millisecond, "cut-off reader, once the writer held")
	if rest := time.Until(cutAt.Add(e.mode.blockBound + time.Second)); rest > 0 {
		time.Sleep(rest) // past the lease's TTL
	}
	w.heal()
	e.rec.event(fmt.Sprintf("w%d healed", w.id), evHealCut)
	if at := writerAfterCut(); at.IsZero() || at.Sub(cutAt) > e.liveBound(evHeal) {
		e.t.Errorf("the writer did not hold within %v of cutting off reader w%d", e.liveBound(evHeal), w.id)
	} else {
		res.note("cut-off reader w%d told after %v, the writer held after %v (lease bound %v)",
			w.id, e.rec.toldAfter(hr, cutAt), at.Sub(cutAt).Round(10*time.Millisecond), e.mode.blockBound)
	}
}

// The holder reads the counter, then pauses (its goroutine blocked, a GC
// pause or a stopped VM) while its network is blackholed, past its TTL;
// then it resumes and, not looking at Done, writes: once with its stale
// read (read-modify-write across the pause), once after a fresh read. Both
// writes must be refused by the fencing token.
func faultHolderPaused(e *env, res *result) {
	got := make(chan *holdRec, 1)
	done := make(chan []*writeRec, 1)
	pause := e.mode.blockBound + 1500*time.Millisecond
	e.setHook(func(w *worker, hr *holdRec) {
		stale := w.read()
		w.cutOff()
		got <- hr
		sleepCtx(e.ctx, pause) // paused: Done is not looked at
		w.heal()
		e.rec.event(fmt.Sprintf("paused holder w%d resumed", w.id), evHealCut)
		var late []*writeRec
		if stale != nil {
			late = append(late, w.writeUntilAnswered(hr, stale))
		}
		if fresh := w.readUntilAnswered(); fresh != nil {
			late = append(late, w.writeUntilAnswered(hr, fresh))
		}
		done <- late
	})
	hr := e.takeHook(got)
	pausedAt := e.rec.event(fmt.Sprintf("holder w%d paused and cut off", hr.worker), evFault)
	var late []*writeRec
	select {
	case late = <-done:
	case <-time.After(pause + 30*time.Second):
		e.t.Fatal("the paused holder never resumed")
	}
	e.expectLost(hr, time.Millisecond, "paused holder, after the pause")
	if other := e.otherAcquiredAfter(pausedAt, hr.worker); other.IsZero() || other.Sub(pausedAt) > e.liveBound(evHeal) {
		e.t.Errorf("no other worker held the lock within %v of w%d's pause", e.liveBound(evHeal), hr.worker)
	} else {
		res.note("paused holder w%d (token %d) told after %v; next holder after %v",
			hr.worker, hr.token, e.rec.toldAfter(hr, pausedAt), other.Sub(pausedAt).Round(10*time.Millisecond))
	}
	if len(late) != 2 {
		e.t.Errorf("paused holder: %d late writes got an answer, want 2", len(late))
	}
	for i, wr := range late {
		kind := []string{"stale read-modify-write", "write after a fresh read"}[i]
		switch {
		case wr == nil || wr.outcome == outUnknown:
			e.t.Errorf("paused holder's %s: no answer", kind)
		case wr.outcome == outApplied:
			e.t.Errorf("paused holder's %s with token %d was APPLIED at revision %d", kind, hr.token, wr.rev)
		case !wr.fenced:
			e.t.Errorf("paused holder's %s was refused, but not by the fencing token (counter changed: %v)", kind, wr.changed)
		default:
			res.note("paused holder's %s refused by the token (counter also changed: %v)", kind, wr.changed)
		}
	}
}

// writeUntilAnswered retries the guarded write (each try recorded) until
// etcd answers; right after a heal the first tries may fail.
func (w *worker) writeUntilAnswered(hr *holdRec, rd *readRec) *writeRec {
	var wr *writeRec
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); sleepCtx(w.e.ctx, 200*time.Millisecond) {
		if wr = w.write(hr, rd, true); wr.outcome != outUnknown || w.e.ctx.Err() != nil {
			break
		}
	}
	return wr
}

func (w *worker) readUntilAnswered() *readRec {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); sleepCtx(w.e.ctx, 200*time.Millisecond) {
		if rd := w.read(); rd != nil || w.e.ctx.Err() != nil {
			return rd
		}
	}
	return nil
}

// externalEnd runs the hook that hands over the holder, ends its hold from
// outside with end, lets the holder write once (a write already on its
// way, not looking at Done) and checks it was refused and the hold lost.
func (e *env) externalEnd(res *result, what string, end func(ctx context.Context, hr *holdRec) error) {
	got := make(chan *holdRec, 1)
	goAhead := make(chan struct{})
	wrote := make(chan *writeRec, 1)
	e.setHook(func(w *worker, hr *holdRec) {
		got <- hr
		select {
		case <-goAhead:
		case <-e.ctx.Done():
		}
		wrote <- w.increment(hr, true)
	})
	hr := e.takeHook(got)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at := e.rec.event(fmt.Sprintf("%s (w%d's hold)", what, hr.worker), evHeal)
	e.rec.mu.Lock()
	hr.outsideEnd = at
	e.rec.mu.Unlock()
	err := end(ctx, hr)
	close(goAhead)
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	e.expectLost(hr, 5*time.Second, what)
	next := e.otherAcquiredAfter(at, hr.worker)
	if next.IsZero() {
		e.waitFor(e.mode.blockBound+liveSlack, func() bool { return !e.otherAcquiredAfter(at, hr.worker).IsZero() })
		next = e.otherAcquiredAfter(at, hr.worker)
	}
	res.note("%s: holder w%d told after %v, next holder after %v", what, hr.worker, e.rec.toldAfter(hr, at), next.Sub(at).Round(time.Millisecond))
	wr := <-wrote
	switch {
	case wr == nil || wr.outcome == outUnknown:
		e.t.Logf("%s: the holder's in-flight write got no answer", what)
	case wr.outcome == outApplied:
		e.t.Errorf("%s: the holder's write after it (token %d) was APPLIED", what, hr.token)
	case !wr.fenced:
		e.t.Errorf("%s: the holder's write after it was refused, but not by the token", what)
	}
}

// An operator deletes the holder's key (etcdctl del).
func faultKeyDeleted(e *env, res *result) {
	e.externalEnd(res, "operator deleted the key", func(ctx context.Context, hr *holdRec) error {
		_, err := e.admin.Delete(ctx, hr.key)
		return err
	})
}

// Someone revokes the holder's lease (found through the key's Lease field).
func faultLeaseRevoked(e *env, res *result) {
	e.externalEnd(res, "lease revoked from outside", func(ctx context.Context, hr *holdRec) error {
		resp, err := e.admin.Get(ctx, hr.key)
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return fmt.Errorf("holder's key %s is gone already", hr.key)
		}
		_, err = e.admin.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease))
		return err
	})
}

// etcd is unreachable for every client (all proxies blackholed) past the
// lease TTL, then reachable again.
func faultAllUnreachable(e *env, res *result) {
	e.rec.mu.Lock()
	var holding []*holdRec
	for hr := range e.rec.live {
		holding = append(holding, hr)
	}
	e.rec.mu.Unlock()
	for _, w := range e.workers {
		w.cutOff()
	}
	cutAt := e.rec.event("every client cut off", evFault)
	time.Sleep(e.mode.blockBound + 2*time.Second)
	for _, w := range e.workers {
		w.heal()
	}
	e.rec.event("every client healed", evHealCut)
	var told []string
	for _, hr := range holding {
		if hr.ended() {
			if e.rec.toldAfter(hr, cutAt) >= 0 {
				told = append(told, fmt.Sprintf("w%d after %v", hr.worker, e.rec.toldAfter(hr, cutAt)))
			}
			continue
		}
		e.t.Errorf("w%d's hold (token %d) still open after etcd was unreachable for %v", hr.worker, hr.token, e.mode.blockBound+2*time.Second)
	}
	res.note("holders at the cut told: %s", strings.Join(told, ", "))
}

// One member goes silent for every client for 6s: its proxies blackhole
// both ways and keep the connections open, as when its host vanishes
// without resetting them. The other two members, a quorum, serve on. With
// the README's client settings (no gRPC keepalive) the balancer keeps
// sending a third of the requests to the silent member (finding F2).
func faultMemberSilent(e *env, res *result) {
	m := (e.cl.Leader(e.t) + 1) % 3
	for _, w := range e.workers {
		w.cutOffFrom(m)
	}
	at := e.rec.event(fmt.Sprintf("member m%d silent for every client", m), evFault)
	time.Sleep(6 * time.Second)
	for _, w := range e.workers {
		w.healFrom(m)
	}
	healed := e.rec.event(fmt.Sprintf("m%d reachable again", m), evHealCut)
	holds, lost := 0, 0
	e.rec.mu.Lock()
	for _, hr := range e.rec.holds {
		if hr.acquired.After(at) && hr.acquired.Before(healed) {
			holds++
		}
		if !hr.doneAt.IsZero() && hr.doneAt.After(at) && hr.doneAt.Before(healed) && hr.lost() {
			lost++
		}
	}
	e.rec.mu.Unlock()
	res.note("while follower m%d was silent (6s): %d holds acquired, %d holds lost", m, holds, lost)
}

// report logs the scenario table and, with BROKERLOCK_FAULTS_REPORT=path,
// writes it there as Markdown (for RELIABILITY.md).
func report(t *testing.T, rs []result) {
	var b strings.Builder
	b.WriteString("| scenario | mode | rounds | holds | handoffs | losses signalled | fenced writes refused | writes applied (answer lost: applied/not) | counter | exclusion violations | stale writes applied | linearizable | leaked keys | recovery first / all (s) | failed Holds | time (s) | result |\n")
	b.WriteString("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --: | --- | --- | --: | --- |\n")
	for _, r := range rs {
		verdict := "pass"
		if r.failed {
			verdict = "FAIL"
		}
		errs := 0
		for _, n := range r.holdErrs {
			errs += n
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %d (%d/%d) | %d | %s | %d | %s | %d | %s / %s | %d | %.1f | %s |\n",
			r.scenario, r.mode, r.rounds, r.holds, r.handoffs, r.losses, r.refusedFenced,
			r.applied, r.unknownApplied, r.unknownNot, r.counter, exclusion(r), r.staleApplied,
			r.linearizable, r.leakedKeys, secs(r.recoverFirst), secs(r.recoverAll), errs,
			r.duration.Seconds(), verdict)
	}
	t.Log("\n" + b.String())
	if path := os.Getenv("BROKERLOCK_FAULTS_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("report: %v", err)
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "\n<!-- %s %s -->\n%s", t.Name(), time.Now().Format(time.RFC3339), b.String())
		for _, r := range rs {
			for _, n := range r.notes {
				fmt.Fprintf(f, "- %s/%s: %s\n", r.scenario, r.mode, n)
			}
		}
	}
}

// exclusion is the table's violations cell: overlapping holds plus
// acquisitions while another hold's Done was open, and, apart, takeovers
// of holds ended from outside before they were told.
func exclusion(r result) string {
	s := strconv.Itoa(r.overlaps + r.violations)
	if r.outsideTakeovers > 0 {
		s += fmt.Sprintf(" (+%d outside end, F5)", r.outsideTakeovers)
	}
	return s
}

func secs(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmt.Sprintf("%.2f", d.Seconds())
	}
	return strings.Join(s, ",")
}
