package faults_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// result is what one scenario run did and what its checks found.
type result struct {
	scenario, mode string
	rounds         int
	holds          int
	handoffs       int // consecutive holds by different workers
	losses         int // holds that ended by a loss (Done, ErrLockLost), not by Release
	refusedFenced  int // guarded writes refused because the token no longer held the lock
	refusedOther   int // refused only because the counter had changed since the read
	applied        int // guarded writes applied (confirmed or found in the history)
	unknownApplied int // writes whose answer was lost but that were applied
	unknownNot     int // writes whose answer was lost and that were not applied
	lateApplied    int // writes sent after the hold's Done had closed that were applied
	lateWrites     int
	counter        int64
	holdErrs       map[string]int
	leakedKeys     int
	overlaps       int // pairs of holds whose [acquired, ended] intervals overlap
	violations     int // acquisitions while another hold's Done was open
	// acquisitions while the Done of a hold ended from outside (key
	// deleted, lease revoked) was still open: not guaranteed (finding F5)
	outsideTakeovers int
	staleApplied     int // applied writes whose key was not the lock owner at that revision
	linearizable     string
	recoverFirst     []time.Duration // per heal: until the first worker held again
	recoverAll       []time.Duration // per heal: until every worker held again
	duration         time.Duration
	failed           bool
	notes            []string // scenario-specific figures
}

func (r result) String() string {
	errs := "none"
	if len(r.holdErrs) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.holdErrs)) {
			parts = append(parts, fmt.Sprintf("%s:%d", k, r.holdErrs[k]))
		}
		errs = strings.Join(parts, ",")
	}
	return fmt.Sprintf("%s/%s: rounds %d, holds %d, handoffs %d, losses signalled %d, "+
		"fenced writes refused %d (+%d refused on a changed counter), writes applied %d "+
		"(answer lost: %d applied, %d not), late writes %d (applied %d), counter %d, "+
		"stale writes applied %d, overlaps %d, Done-open acquisitions %d (+%d after an outside end), linearizable %s, "+
		"leaked keys %d, recovery first %s / all %s, failed Holds %s, %s",
		r.scenario, r.mode, r.rounds, r.holds, r.handoffs, r.losses,
		r.refusedFenced, r.refusedOther, r.applied, r.unknownApplied, r.unknownNot,
		r.lateWrites, r.lateApplied, r.counter, r.staleApplied, r.overlaps, r.violations, r.outsideTakeovers,
		r.linearizable, r.leakedKeys, durs(r.recoverFirst), durs(r.recoverAll), errs,
		r.duration.Round(100*time.Millisecond))
}

func durs(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(s, ",")
}

var (
	resultsMu sync.Mutex
	results   []result
)

func collect(r result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, r)
}

// finish stops the workers, checks for leaked keys, closes everything and
// runs every check on what was recorded.
func (e *env) finish(res *result) {
	t := e.t
	t.Helper()
	e.stopWorkers()
	res.duration = time.Since(e.start)

	// Nothing leaked: once every worker released, no key is left under the
	// prefix (a clean-up that failed during a fault retries in the
	// background; give it time).
	var keys []string
	ok := e.waitFor(keysGrace, func() bool {
		var err error
		keys, err = e.keysUnder()
		return err == nil && len(keys) == 0
	})
	if !ok {
		res.leakedKeys = len(keys)
		t.Errorf("leaked keys: %d left under %q %v after every worker released (waited %v)", len(keys), e.prefix, keys, keysGrace)
	}
	e.shutdown()
	for _, err := range e.closeErr {
		// After a heal the first RPC on a connection whose bytes the
		// proxy dropped often fails (HTTP/2 framing broken); Close has
		// one try. Its lease expires by itself.
		t.Logf("close: %v", err)
	}

	r := e.rec
	res.holds = len(r.holds)
	res.holdErrs = r.holdErrs
	for k, ex := range r.holdErrText {
		t.Logf("failed Holds %q (%d), e.g. %s", k, r.holdErrs[k], ex)
	}
	e.checkExclusion(res)
	e.checkWrites(res)
	e.checkLiveness(res)
	if e.obs != nil {
		e.obs.check(e, res, e.rec.lastHeal())
	}
	res.failed = t.Failed()
	if res.failed || testing.Verbose() && os.Getenv("BROKERLOCK_FAULTS_DEBUG") != "" {
		e.logTimeline()
	}
	for _, n := range res.notes {
		t.Log(n)
	}
	t.Log(res.String())
	collect(*res)
}

// logTimeline logs the faults, the holds and the failed Holds in time order.
func (e *env) logTimeline() {
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, ev := range e.rec.events {
		lines = append(lines, line{ev.at, "EVENT " + ev.what})
	}
	for _, f := range e.rec.failedReads {
		lines = append(lines, line{f.start, fmt.Sprintf("  w%d read failed after %v: %v", f.worker, f.end.Sub(f.start).Round(time.Millisecond), f.err)})
	}
	for _, hr := range e.rec.holds {
		lines = append(lines, line{hr.acquired, fmt.Sprintf("w%d acquired token %d (ended %.3fs: %v; Release returned %.3fs: %v)",
			hr.worker, hr.token, e.since(hr.end()).Seconds(), hr.doneErr, e.since(hr.relRet).Seconds(), hr.relErr)})
		for _, wr := range e.rec.writes {
			if wr.hold == hr {
				lines = append(lines, line{wr.call, fmt.Sprintf("  w%d write %s: outcome %d after %v (fenced %v) %v",
					wr.worker, wr.id, wr.outcome, wr.ret.Sub(wr.call).Round(time.Millisecond), wr.fenced, wr.err)})
			}
		}
	}
	for _, f := range e.rec.failedHolds {
		lines = append(lines, line{f.end, fmt.Sprintf("w%d Hold from %v failed: %v", f.worker, e.since(f.start), f.err)})
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%9.3fs %s\n", e.since(l.at).Seconds(), l.text)
	}
	e.t.Log("timeline:\n" + b.String())
}

// checkExclusion: no two workers' [acquired, ended] intervals overlap (for a
// semaphore: no more than its limit at once), and
// no worker acquired while too many others' Done was still open.
func (e *env) checkExclusion(res *result) {
	t := e.t
	holds := slices.Clone(e.rec.holds)
	sort.Slice(holds, func(i, j int) bool { return holds[i].acquired.Before(holds[j].acquired) })
	for i, hr := range holds {
		if i > 0 && holds[i-1].worker != hr.worker {
			res.handoffs++
		}
		if hr.lost() {
			res.losses++
		}
		if !hr.finished {
			t.Errorf("hold w%d#%d was never released", hr.worker, hr.seq)
		}
		if rel := hr.relErr; rel != nil && !errors.Is(rel, brokerlock.ErrLockLost) {
			t.Logf("w%d#%d Release: %v", hr.worker, hr.seq, rel)
		}
		if hr.lost() != errors.Is(hr.relErr, brokerlock.ErrLockLost) {
			t.Errorf("w%d#%d: Release returned %v but Done closed with %v: they disagree on whether the hold was lost",
				hr.worker, hr.seq, hr.relErr, hr.doneErr)
		}
	}
	if e.rec.holders > 1 {
		e.checkAtMost(res, holds)
	} else {
		e.checkPairs(res, holds)
	}
	e.checkViolations(res)
}

// checkPairs: no two holds' [acquired, end] intervals overlap, unless
// both are an RWLock's readers.
func (e *env) checkPairs(res *result, holds []*holdRec) {
	t := e.t
	for i, a := range holds {
		for _, b := range holds[i+1:] {
			if a.worker == b.worker || a.shared && b.shared {
				continue // readers share
			}
			if b.acquired.Before(a.end()) && a.acquired.Before(b.end()) {
				if a.outsideEndedBy(b.acquired) || b.outsideEndedBy(a.acquired) {
					continue // counted below, as a takeover before the holder was told
				}
				res.overlaps++
				t.Errorf("overlap: w%d token %d held [%v, %v] and w%d token %d held [%v, %v] (lost: %v / %v)",
					a.worker, a.token, e.since(a.acquired), e.since(a.end()),
					b.worker, b.token, e.since(b.acquired), e.since(b.end()), a.doneErr, b.doneErr)
			}
		}
	}
}

// checkAtMost: at no instant were more than the semaphore's limit of
// holds' [acquired, end] intervals open.
func (e *env) checkAtMost(res *result, holds []*holdRec) {
	type edge struct {
		at    time.Time
		delta int
		hr    *holdRec
	}
	var edges []edge
	for _, hr := range holds {
		edges = append(edges, edge{hr.acquired, +1, hr}, edge{hr.end(), -1, hr})
	}
	sort.Slice(edges, func(i, j int) bool { // ends first at the same instant
		return edges[i].at.Before(edges[j].at) || edges[i].at.Equal(edges[j].at) && edges[i].delta < edges[j].delta
	})
	open := 0
	for _, ed := range edges {
		if open += ed.delta; open > e.rec.holders {
			res.overlaps++
			e.t.Errorf("%d holds at once at %v (limit %d), the last w%d token %d", open, e.since(ed.at), e.rec.holders, ed.hr.worker, ed.hr.token)
		}
	}
}

// checkViolations reports acquisitions while too many other holds' Done
// was open.
func (e *env) checkViolations(res *result) {
	t := e.t
	for _, v := range e.rec.violations {
		if v.holder.outsideEndedBy(v.at) {
			// Ended from outside (key deleted, lease revoked): the server
			// lets the next waiter in at once; the holder learns it from
			// its watch, possibly later. Only fencing protects here
			// (RELIABILITY.md, finding F5).
			res.outsideTakeovers++
			t.Logf("takeover before the holder was told (its hold was ended from outside at %v): %s",
				e.since(v.holder.outsideEnd), v)
			continue
		}
		res.violations++
		t.Errorf("mutual exclusion (client view) at %v: %s", e.since(v.at), v)
	}
}

// version is one value the counter had.
type version struct {
	val int64
	id  string
	rev int64
}

// counterHistory walks the counter's versions back from the newest (the
// embedded cluster never compacts).
func (e *env) counterHistory() ([]version, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := e.admin.Get(ctx, e.counter)
	if err != nil {
		return nil, err
	}
	var hist []version
	for len(resp.Kvs) > 0 {
		kv := resp.Kvs[0]
		var v version
		if _, err := fmt.Sscanf(string(kv.Value), "%d %s", &v.val, &v.id); err != nil {
			return nil, fmt.Errorf("counter value %q at %d: %w", kv.Value, kv.ModRevision, err)
		}
		v.rev = kv.ModRevision
		hist = append(hist, v)
		if kv.Version == 1 {
			break
		}
		if resp, err = e.admin.Get(ctx, e.counter, clientv3.WithRev(kv.ModRevision-1)); err != nil {
			return nil, err
		}
		if len(resp.Kvs) == 0 {
			return nil, fmt.Errorf("counter history has a gap before revision %d", kv.ModRevision)
		}
	}
	slices.Reverse(hist)
	return hist, nil
}

// checkWrites: every applied write was made by the lock's owner at its
// revision, the counter equals the number of applied increments, no write
// said refused was applied, and the counter's reads and writes are
// linearizable.
func (e *env) checkWrites(res *result) {
	t := e.t
	hist, err := e.counterHistory()
	if err != nil {
		t.Errorf("counter history: %v", err)
		return
	}
	byID := map[string]*writeRec{}
	for _, wr := range e.rec.writes {
		byID[wr.id] = wr
	}
	for i, v := range hist {
		if v.val != int64(i+1) {
			t.Errorf("counter version %d has value %d (write %s), want %d: an increment was lost or doubled", i+1, v.val, v.id, i+1)
		}
		wr := byID[v.id]
		if wr == nil {
			t.Errorf("counter value %d written by unknown write %s", v.val, v.id)
			continue
		}
		wr.inHistory, wr.histRev = true, v.rev
	}
	if len(hist) > 0 {
		res.counter = hist[len(hist)-1].val
	}
	for _, wr := range e.rec.writes {
		if wr.afterDone || wr.late {
			res.lateWrites++
		}
		switch wr.outcome {
		case outApplied:
			if !wr.inHistory || wr.histRev != wr.rev {
				t.Errorf("write %s said applied at revision %d but the counter history has it at %d (found: %v)", wr.id, wr.rev, wr.histRev, wr.inHistory)
			}
		case outRefused:
			if wr.inHistory {
				t.Errorf("write %s said refused but the counter history has it at revision %d", wr.id, wr.histRev)
			}
			if wr.fenced {
				res.refusedFenced++
			} else {
				res.refusedOther++
			}
		case outUnknown:
			if wr.inHistory {
				res.unknownApplied++
			} else {
				res.unknownNot++
			}
		}
		if wr.inHistory {
			res.applied++
			if wr.afterDone || wr.late {
				res.lateApplied++
			}
		}
	}
	if res.counter != int64(res.applied) {
		t.Errorf("counter is %d, want %d: the number of applied guarded increments", res.counter, res.applied)
	}
	e.checkOwners(res)
	e.checkLinearizable(res)
}

// checkOwners: at the revision of every applied write, the writer's key was
// the oldest key under the lock's prefix (for a semaphore: among its limit
// oldest), i.e. the writer held the lock in etcd's own view: no stale
// holder's write ever got through.
func (e *env) checkOwners(res *result) {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, wr := range e.rec.writes {
		if !wr.inHistory {
			continue
		}
		resp, err := e.admin.Get(ctx, e.lockPfx, clientv3.WithPrefix(), clientv3.WithRev(wr.histRev),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(int64(e.rec.holders)))
		if err != nil {
			t.Errorf("owner at revision %d: %v", wr.histRev, err)
			return
		}
		if !slices.ContainsFunc(resp.Kvs, func(kv *mvccpb.KeyValue) bool {
			return string(kv.Key) == wr.hold.key && kv.CreateRevision == wr.hold.token
		}) {
			res.staleApplied++
			owner := "nobody"
			if len(resp.Kvs) > 0 {
				owner = fmt.Sprintf("%s (token %d)", resp.Kvs[0].Key, resp.Kvs[0].CreateRevision)
			}
			t.Errorf("stale write applied: %s by w%d token %d at revision %d, when the owner was %s",
				wr.id, wr.worker, wr.hold.token, wr.histRev, owner)
		}
	}
}

// Porcupine model of the guarded counter: one integer register.
type (
	opRead  struct{}
	opIncr  struct{ from int64 }
	outRead struct{ val int64 }
	outIncr struct {
		ok      bool
		changed bool // refused: the counter was not at from any more
	}
)

var counterModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		st := state.(int64)
		switch in := input.(type) {
		case opRead:
			return output.(outRead).val == st, st
		case opIncr:
			out := output.(outIncr)
			if out.ok {
				return st == in.from, st + 1
			}
			return out.changed == (st != in.from), st
		}
		return false, st
	},
	DescribeOperation: func(input, output any) string {
		switch in := input.(type) {
		case opRead:
			return fmt.Sprintf("read() -> %d", output.(outRead).val)
		case opIncr:
			return fmt.Sprintf("incr(%d) -> %+v", in.from, output.(outIncr))
		}
		return "?"
	},
}

// checkLinearizable checks the counter's history of successful reads and
// of writes with a known effect: confirmed ones, and lost answers resolved
// from the counter's versions (applied: returns "never"; not applied:
// left out, as they had no effect).
func (e *env) checkLinearizable(res *result) {
	ts := func(t time.Time) int64 { return int64(t.Sub(e.start)) }
	var ops []porcupine.Operation
	for _, rd := range e.rec.reads {
		ops = append(ops, porcupine.Operation{ClientId: rd.worker, Input: opRead{}, Output: outRead{rd.val},
			Call: ts(rd.call), Return: ts(rd.ret)})
	}
	for _, wr := range e.rec.writes {
		op := porcupine.Operation{ClientId: wr.worker, Input: opIncr{wr.from}, Call: ts(wr.call), Return: ts(wr.ret)}
		switch {
		case wr.outcome == outApplied:
			op.Output = outIncr{ok: true}
		case wr.outcome == outRefused:
			op.Output = outIncr{changed: wr.changed}
		case wr.inHistory:
			op.Output, op.Return = outIncr{ok: true}, math.MaxInt64/2
		default:
			continue
		}
		ops = append(ops, op)
	}
	switch porcupine.CheckOperationsTimeout(counterModel, ops, 30*time.Second) {
	case porcupine.Ok:
		res.linearizable = "ok"
	case porcupine.Illegal:
		res.linearizable = "NO"
		e.t.Errorf("the counter's history of %d operations is not linearizable", len(ops))
	default:
		res.linearizable = "unknown (timeout)"
		e.t.Logf("porcupine timed out on %d operations", len(ops))
	}
}

// liveBound is how soon after a heal of kind every worker must hold the
// lock again: the mode's blockBound (a dead holder's lease) plus
// liveSlack; after KillMember, plus the 7s its client streams stay open
// without events.
func (e *env) liveBound(kind evKind) time.Duration {
	if kind == evHealFrozen {
		return e.mode.blockBound + etcdReqTimeout + liveSlack
	}
	return e.mode.blockBound + liveSlack
}

// etcdReqTimeout is how long embed.Etcd.Close keeps client streams open
// (ReqTimeout: 5s + 2 election timeouts).
const etcdReqTimeout = 7 * time.Second

// checkLiveness: after each heal every worker held the lock again within
// liveBound.
func (e *env) checkLiveness(res *result) {
	for _, ev := range e.rec.events {
		if ev.kind == evFault {
			continue
		}
		bound := e.liveBound(ev.kind)
		first := e.rec.firstAcquiredAfter(ev.at)
		var earliest, latest time.Duration = -1, 0
		for w, at := range first {
			if at.IsZero() {
				e.t.Errorf("liveness: w%d never held the lock after %q at %v", w, ev.what, e.since(ev.at))
				latest = -1
				continue
			}
			d := at.Sub(ev.at)
			if d > bound {
				e.t.Errorf("liveness: w%d held the lock %v after %q, want within %v", w, d, ev.what, bound)
			}
			if earliest < 0 || d < earliest {
				earliest = d
			}
			if latest >= 0 && d > latest {
				latest = d
			}
		}
		res.recoverFirst = append(res.recoverFirst, earliest)
		res.recoverAll = append(res.recoverAll, latest)
	}
}
