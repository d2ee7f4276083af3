package brokerlocktest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// electionOpts are the options of the suite's elections: the shortest TTL
// an Election allows, so that a candidate a broken adapter left behind
// blocks others only briefly.
var electionOpts = brokerlock.ElectionOptions{TTL: 2 * time.Second}

// election returns the election name on a new adapter: one more client.
func (s suite) election(t *testing.T, name string) *brokerlock.Election {
	t.Helper()
	return s.locks(t, 1)[0].Election(name, electionOpts)
}

// mustCampaign campaigns and resigns when the test ends. Test goroutine
// only.
func mustCampaign(t *testing.T, ctx context.Context, e *brokerlock.Election, value string) *brokerlock.Term {
	t.Helper()
	term, err := e.Campaign(ctx, value)
	if err != nil {
		t.Fatalf("Campaign(%q) on %q: got error %v, want to lead", value, e.Name(), err)
	}
	t.Cleanup(func() { _ = term.Resign(context.Background()) })
	return term
}

// electionFIFO: candidates that campaign one after another, on two
// clients, lead in that order, with increasing tokens, and none while the
// leader leads.
func (s suite) electionFIFO(t *testing.T) {
	const candidates = 4
	ctx := testContext(t)
	name := uniqueID(t)
	leader := mustCampaign(t, ctx, s.election(t, name), "leader")
	grants := make(chan grant, candidates)
	wg := s.queueInOrder(t, candidates, func(bl *brokerlock.BrokerLock, i int) {
		candidate(t, ctx, bl.Election(name, electionOpts), i, grants)
	})
	if n := len(grants); n != 0 {
		t.Errorf("candidates that led while the leader led: got %d, want 0", n)
	}
	wantNoErr(t, "leader's Resign", leader.Resign(ctx))
	checkFIFO(t, collectGrants(wg, grants), candidates)
}

// candidate campaigns (for at most waitBound), reports its term, and
// resigns.
func candidate(t *testing.T, ctx context.Context, e *brokerlock.Election, i int, grants chan<- grant) {
	cctx, cancel := context.WithTimeout(ctx, waitBound)
	defer cancel()
	term, err := e.Campaign(cctx, "candidate")
	if err != nil {
		t.Errorf("candidate %d: Campaign: got error %v, want to lead", i, err)
		return
	}
	grants <- grant{waiter: i, token: term.Token()}
	wantNoErr(t, "candidate's Resign", term.Resign(ctx))
}

// electionLeader: Leader says nobody leads (ErrNoLeader) until a
// candidate leads, then reports its key, token and value; Proclaim
// changes the value while the term lasts; Resign ends the term (Done,
// ErrReleased), after which Proclaim fails with ErrReleased and writes
// nothing, and nobody leads.
func (s suite) electionLeader(t *testing.T) {
	ctx := testContext(t)
	e := s.election(t, uniqueID(t))
	wantNoLeader(t, ctx, "before any campaign", e)
	term := mustCampaign(t, ctx, e, "first")
	wantLeader(t, ctx, "after Campaign", e, leaderOf(term, "first"))
	wantNoErr(t, "Proclaim", term.Proclaim(ctx, "second"))
	if got := term.Value(); got != "second" {
		t.Errorf("Term.Value after Proclaim: got %q, want %q", got, "second")
	}
	wantLeader(t, ctx, "after Proclaim", e, leaderOf(term, "second"))
	if term.Err() != nil || isClosed(term.Done()) || !term.Expires().After(time.Now()) {
		t.Errorf("live term: got Err %v, Done closed %v, Expires %v; want nil, open, in the future",
			term.Err(), isClosed(term.Done()), term.Expires())
	}
	wantNoErr(t, "Resign", term.Resign(ctx))
	if !isClosed(term.Done()) || !errors.Is(term.Err(), brokerlock.ErrReleased) {
		t.Errorf("after Resign: got Done closed %v, Err %v; want closed, ErrReleased", isClosed(term.Done()), term.Err())
	}
	wantErrIs(t, "Proclaim after Resign", term.Proclaim(ctx, "third"), brokerlock.ErrReleased)
	wantNoLeader(t, ctx, "after Resign", e)
	wantNoErr(t, "second Resign", term.Resign(ctx))
}

func leaderOf(term *brokerlock.Term, value string) brokerlock.Leader {
	return brokerlock.Leader{Key: term.Key(), Value: value, Token: term.Token()}
}

func wantLeader(t *testing.T, ctx context.Context, when string, e *brokerlock.Election, want brokerlock.Leader) {
	t.Helper()
	got, err := e.Leader(ctx)
	if err != nil || got != want {
		t.Errorf("Leader %s: got (%+v, %v), want (%+v, nil)", when, got, err, want)
	}
}

func wantNoLeader(t *testing.T, ctx context.Context, when string, e *brokerlock.Election) {
	t.Helper()
	got, err := e.Leader(ctx)
	if !errors.Is(err, brokerlock.ErrNoLeader) || got != (brokerlock.Leader{}) {
		t.Errorf("Leader %s: got (%+v, %v), want the zero Leader and ErrNoLeader", when, got, err)
	}
}

// electionObserve: Observe sends the current state first (the zero
// Leader), then each change: a leader, its new value, the next leader
// after a Resign, nobody; never the same state twice in a row; and its
// channel closes when ctx is done.
func (s suite) electionObserve(t *testing.T) {
	ctx := testContext(t)
	name := uniqueID(t)
	e := s.election(t, name)
	octx, stop := context.WithCancel(ctx)
	defer stop()
	obs := s.election(t, name).Observe(octx)
	wantObserved(t, "first, nobody leading", obs, brokerlock.Leader{})
	first := mustCampaign(t, ctx, e, "one")
	wantObserved(t, "after Campaign", obs, leaderOf(first, "one"))
	wantNoErr(t, "Proclaim", first.Proclaim(ctx, "two"))
	wantObserved(t, "after Proclaim", obs, leaderOf(first, "two"))
	bl, p := s.probed(t)
	next := make(chan *brokerlock.Term, 1)
	go func() {
		cctx, cancel := context.WithTimeout(ctx, waitBound)
		defer cancel()
		next <- campaignOrNil(t, cctx, bl.Election(name, electionOpts), "three")
	}()
	p.waitQueued(t)
	wantNoErr(t, "Resign", first.Resign(ctx))
	second := receive(t, "the next candidate's term", next)
	if second == nil {
		return
	}
	wantObserved(t, "after the handoff", obs, leaderOf(second, "three"))
	wantNoErr(t, "second Resign", second.Resign(ctx))
	wantObserved(t, "after the last Resign", obs, brokerlock.Leader{})
	stop()
	wantClosedChan(t, "Observe's channel after its ctx ended", obs)
}

// wantObserved wants want as the next state on obs, and nothing more for
// a moment (no repeat of it).
func wantObserved(t *testing.T, when string, obs <-chan brokerlock.Leader, want brokerlock.Leader) {
	t.Helper()
	got, ok := receiveOK(t, "Observe "+when, obs)
	if !ok || got != want {
		t.Errorf("Observe %s: got (%+v, open %v), want %+v", when, got, ok, want)
		return
	}
	select {
	case again, ok := <-obs:
		t.Errorf("Observe %s: got (%+v, open %v) after %+v, want nothing until the next change", when, again, ok, want)
	case <-time.After(queueDelay):
	}
}

func campaignOrNil(t *testing.T, ctx context.Context, e *brokerlock.Election, value string) *brokerlock.Term {
	term, err := e.Campaign(ctx, value)
	if err != nil {
		t.Errorf("Campaign(%q): got error %v, want to lead", value, err)
	}
	return term
}

// receiveOK waits at most waitBound for a value or the close of ch.
func receiveOK[T any](t *testing.T, what string, ch <-chan T) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(waitBound):
		t.Fatalf("%s: nothing within %v", what, waitBound)
		var zero T
		return zero, false
	}
}

// wantClosedChan drains ch and wants it closed within waitBound.
func wantClosedChan[T any](t *testing.T, what string, ch <-chan T) {
	t.Helper()
	deadline := time.After(waitBound)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Errorf("%s: still open after %v, want closed", what, waitBound)
			return
		}
	}
}

// electionCampaignCancel: a candidate whose ctx ends while it waits
// returns ctx's error and leaves nothing queued: Inspect shows no
// candidate, and the next Campaign after the leader resigns leads at once.
func (s suite) electionCampaignCancel(t *testing.T) {
	ctx := testContext(t)
	name := uniqueID(t)
	e := s.election(t, name)
	leader := mustCampaign(t, ctx, e, "leader")
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := s.election(t, name).Campaign(cctx, "impatient")
	wantErrIs(t, "Campaign whose ctx timed out", err, context.DeadlineExceeded)
	if info, err := e.Inspect(ctx); err == nil && len(info.Waiters) != 0 {
		t.Errorf("candidates after the cancelled Campaign: got %+v, want none", info.Waiters)
	}
	wantNoErr(t, "Resign", leader.Resign(ctx))
	tctx, cancel := context.WithTimeout(ctx, waitBound)
	defer cancel()
	if term, err := s.election(t, name).Campaign(tctx, "next"); err != nil {
		t.Errorf("Campaign after the leader resigned: got error %v, want to lead at once", err)
	} else {
		wantNoErr(t, "next Resign", term.Resign(ctx))
	}
}

// electionInspect: Inspect reports the leader as Holder and Holders[0]
// and the candidates in order, each with its value. An adapter that is
// not an Inspector makes it fail with errors.ErrUnsupported.
func (s suite) electionInspect(t *testing.T) {
	ctx := testContext(t)
	name := uniqueID(t)
	e := s.election(t, name)
	if _, ok := s.newAdapter(t).(brokerlock.Inspector); !ok {
		_, err := e.Inspect(ctx)
		wantErrIs(t, "Inspect on an adapter that is not an Inspector", err, errors.ErrUnsupported)
		return
	}
	leader := mustCampaign(t, ctx, e, "leader-value")
	bl, p := s.probed(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		cctx, cancel := context.WithTimeout(ctx, waitBound)
		defer cancel()
		if term := campaignOrNil(t, cctx, bl.Election(name, electionOpts), "candidate-value"); term != nil {
			wantNoErr(t, "candidate's Resign", term.Resign(ctx))
		}
	})
	p.waitQueued(t)
	info, err := e.Inspect(ctx)
	wantNoErr(t, "Inspect", err)
	switch {
	case info.Holder == nil || len(info.Holders) != 1 || info.Holder != &info.Holders[0]:
		t.Errorf("Inspect: got Holder %+v, Holders %+v; want the leader as both", info.Holder, info.Holders)
	case info.Holder.Value != "leader-value" || info.Holder.Token != leader.Token():
		t.Errorf("Inspect's Holder: got value %q, token %d; want %q, %d",
			info.Holder.Value, info.Holder.Token, "leader-value", leader.Token())
	case len(info.Waiters) != 1 || info.Waiters[0].Value != "candidate-value":
		t.Errorf("Inspect's Waiters: got %+v, want one with value %q", info.Waiters, "candidate-value")
	}
	wantNoErr(t, "leader's Resign", leader.Resign(ctx))
	wg.Wait()
}

// electionRun: Run calls fn with a term; when the term is lost (an
// operator removed the leader's key), fn's ctx ends with ErrLockLost and
// Run campaigns again, calling fn with a new term and a larger token; when
// fn returns while leading, Run resigns and returns fn's error.
func (s suite) electionRun(t *testing.T) {
	ctx := testContext(t)
	name := uniqueID(t)
	a := s.newAdapter(t)
	bl := brokerlock.New(a)
	force := forceReleaser(a)
	if force == nil {
		t.Skipf("adapter %T has no ForceRelease(ctx, id): a lost term cannot be caused", a)
	}
	errDone := errors.New("fn done")
	var tokens []int64
	err := bl.Election(name, electionOpts).Run(ctx, "runner", func(fctx context.Context, term *brokerlock.Term) error {
		tokens = append(tokens, term.Token())
		if len(tokens) > 1 {
			return errDone
		}
		if _, err := force.ForceRelease(ctx, name); err != nil {
			t.Errorf("ForceRelease: got error %v", err)
		}
		if !waitClosed(fctx.Done(), waitBound) {
			t.Errorf("fn's ctx after ForceRelease: not done within %v, want done", waitBound)
			return errDone
		}
		wantErrIs(t, "fn's ctx after the term was lost", context.Cause(fctx), brokerlock.ErrLockLost)
		return errors.New("caused by the loss: Run drops it")
	})
	wantErrIs(t, "Run's error", err, errDone)
	if msg := err.Error(); strings.Contains(msg, "caused by the loss") {
		t.Errorf("Run's error: got %q, want fn's error of the lost term dropped", msg)
	}
	if len(tokens) != 2 || tokens[1] <= tokens[0] {
		t.Errorf("terms Run led: got tokens %v, want two, increasing", tokens)
	}
	wantNoLeader(t, ctx, "after Run returned", bl.Election(name, electionOpts))
}

// electionRunCancel: when ctx ends while fn leads, fn's ctx ends, Run
// resigns and returns an error wrapping ctx's.
func (s suite) electionRunCancel(t *testing.T) {
	ctx := testContext(t)
	name := uniqueID(t)
	e := s.election(t, name)
	rctx, cancel := context.WithCancel(ctx)
	err := e.Run(rctx, "runner", func(fctx context.Context, term *brokerlock.Term) error {
		cancel()
		<-fctx.Done()
		return fctx.Err()
	})
	wantErrIs(t, "Run's error after its ctx was cancelled", err, context.Canceled)
	wantNoLeader(t, ctx, "after Run returned", e)
}

// electionInvalid: an empty name and a TTL out of bounds make every call
// fail with ErrInvalid naming the field, and Observe's channel closed; a
// value over MaxValue is ErrInvalid and writes nothing.
func (s suite) electionInvalid(t *testing.T) {
	ctx := testContext(t)
	bl := s.locks(t, 1)[0]
	for _, c := range []struct {
		name, field string
		opts        brokerlock.ElectionOptions
	}{
		{"", "name", electionOpts},
		{uniqueID(t), "ElectionOptions.TTL", brokerlock.ElectionOptions{TTL: 500 * time.Millisecond}},
		{uniqueID(t), "ElectionOptions.TTL", brokerlock.ElectionOptions{TTL: brokerlock.MaxTTL + time.Second}},
	} {
		e := bl.Election(c.name, c.opts)
		if err := e.Err(); !errors.Is(err, brokerlock.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Election(%q, %+v).Err(): got %v, want ErrInvalid naming %s", c.name, c.opts, err, c.field)
		}
		_, err := e.Campaign(ctx, "v")
		wantErrIs(t, "Campaign of an invalid election", err, brokerlock.ErrInvalid)
		_, err = e.Leader(ctx)
		wantErrIs(t, "Leader of an invalid election", err, brokerlock.ErrInvalid)
		wantErrIs(t, "Run of an invalid election", e.Run(ctx, "v", nil), brokerlock.ErrInvalid)
		wantClosedChan(t, "Observe of an invalid election", e.Observe(ctx))
	}
	e := bl.Election(uniqueID(t), electionOpts)
	_, err := e.Campaign(ctx, strings.Repeat("x", brokerlock.MaxValue+1))
	wantErrIs(t, "Campaign with a value over MaxValue", err, brokerlock.ErrInvalid)
	wantNoLeader(t, ctx, "after the refused Campaign", e)
}

// electionClose: Close ends the adapter's terms (Done closed when Close
// returns, Err wraps ErrLockLost and ErrClosed), wakes its candidates with
// ErrClosed, closes its Observe channels, and lets another client lead.
func (s suite) electionClose(t *testing.T) {
	ctx := testContext(t)
	name, waited := uniqueID(t), uniqueID(t)
	bl, p := s.probed(t)
	term := mustCampaign(t, ctx, bl.Election(name, electionOpts), "closing")
	other := mustCampaign(t, ctx, s.election(t, waited), "other")
	woken := make(chan error, 1)
	go func() {
		_, err := bl.Election(waited, electionOpts).Campaign(ctx, "waiting")
		woken <- err
	}()
	p.waitQueued(t)
	obs := bl.Election(name, electionOpts).Observe(ctx)
	wantNoErr(t, "Close", p.Adapter.Close())
	wantErrIs(t, "candidate woken by Close", receive(t, "candidate woken by Close", woken), brokerlock.ErrClosed)
	if !isClosed(term.Done()) {
		t.Errorf("Done of a term after Close returned: open, want closed")
	}
	wantErrIs(t, "Err of a term after Close", term.Err(), brokerlock.ErrLockLost, brokerlock.ErrClosed)
	wantClosedChan(t, "Observe's channel after Close", obs)
	_, err := bl.Election(name, electionOpts).Campaign(ctx, "after")
	wantErrIs(t, "Campaign after Close", err, brokerlock.ErrClosed)
	if err := other.Err(); err != nil {
		t.Errorf("another client's term after Close: got Err %v, want nil", err)
	}
	tctx, cancel := context.WithTimeout(ctx, waitBound)
	defer cancel()
	if next, err := s.election(t, name).Campaign(tctx, "next"); err != nil {
		t.Errorf("another client's Campaign after Close: got error %v, want to lead", err)
	} else {
		wantNoErr(t, "next Resign", next.Resign(ctx))
	}
}

// forceRemover is what etcdadapter and memadapter offer operators: remove
// a lock's holder from outside.
type forceRemover interface {
	ForceRelease(ctx context.Context, id string) (*brokerlock.Entry, error)
}

// forceReleaser finds a ForceRelease in a or the adapters it wraps
// (Unwrap), nil if there is none.
func forceReleaser(a brokerlock.Adapter) forceRemover {
	for a != nil {
		if f, ok := a.(forceRemover); ok {
			return f
		}
		u, ok := a.(interface{ Unwrap() brokerlock.Adapter })
		if !ok {
			return nil
		}
		a = u.Unwrap()
	}
	return nil
}

// electionExclusion: three clients running Run in a loop on one election
// never lead at once, and each term's token is greater than the last.
func (s suite) electionExclusion(t *testing.T) {
	const terms = 30
	ctx := testContext(t)
	name := uniqueID(t)
	var (
		leaders atomic.Int64
		mu      sync.Mutex
		tokens  []int64
		wg      sync.WaitGroup
	)
	lead := func(ctx context.Context, term *brokerlock.Term) error {
		if n := leaders.Add(1); n != 1 {
			t.Errorf("leaders at once: got %d, want 1", n)
		}
		mu.Lock()
		tokens = append(tokens, term.Token())
		mu.Unlock()
		// Not synchronisation: it widens the window in which a second
		// leader would be counted (yielding a few times was not always
		// enough for a broken election's other candidates to lead).
		time.Sleep(200 * time.Microsecond)
		leaders.Add(-1)
		return nil
	}
	for _, bl := range s.locks(t, 3) {
		e := bl.Election(name, electionOpts)
		wg.Go(func() {
			for ctx.Err() == nil && len(snapshot(&mu, &tokens)) < terms {
				wantNoErr(t, "Run", e.Run(ctx, "worker", lead))
			}
		})
	}
	wg.Wait()
	if !slices.IsSorted(tokens) || len(slices.Compact(slices.Clone(tokens))) != len(tokens) {
		t.Errorf("tokens of the terms in the order they led: got %v, want strictly increasing", tokens)
	}
}

// snapshot returns *s, read under mu.
func snapshot[T any](mu *sync.Mutex, s *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return *s
}
