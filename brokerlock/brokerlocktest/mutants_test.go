package brokerlocktest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// mutant is memadapter with one promise broken, and the subtests of Run
// that must notice.
type mutant struct {
	name     string
	mustFail []string
	wrap     func(brokerlock.Adapter) brokerlock.Adapter
}

// mutants covers every subtest of Run except InvalidInput, which checks
// BrokerLock's own validation and reaches no adapter.
var mutants = []mutant{
	{"NoExclusion", []string{"MutualExclusion", "TryHold", "DeepkitTwoItemsOneID", "UnusualIDs"},
		rewrite(func(r *rewriting) { r.acquireID = freshID(func(brokerlock.Request) bool { return true }) })},
	{"TryJumpsTheLock", []string{"TryHold", "DeepkitTwoItemsOneID", "UnusualIDs"},
		rewrite(func(r *rewriting) { r.acquireID = freshID(func(req brokerlock.Request) bool { return req.Try }) })},
	{"QueuesLate", []string{"FIFO"}, queuesLate},
	{"ConstantToken", []string{"Tokens", "MutualExclusion", "FIFO", "HardTTL"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return constantToken{a} }
		})},
	{"NoHardTTL", []string{"HardTTL", "Refresh", "StatefulAPI", "Do", "HoldKindsLifecycle"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request { q.KeepAlive = true; return q }
		})},
	{"NoKeepAlive", []string{"KeepAliveOutlivesTTL"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request { q.KeepAlive = false; return q }
		})},
	{"LeaksOnCancel", []string{"TimeoutLeavesNothing", "CancelLeavesNothing", "ElectionCampaignCancel"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return leaksOnCancel{a} }},
	{"LateDone", []string{"HardTTL", "HoldLifecycle", "Close", "ElectionClose", "HoldKindsLifecycle"},
		rewrite(func(r *rewriting) { r.acq = newLateDone })},
	{"LateExpires", []string{"HardTTL", "Refresh"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return lateExpires{a} }
		})},
	{"RefreshNoop", []string{"Refresh"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return refreshNoop{a} }
		})},
	{"ReleaseLeaks", []string{"IsReserved", "HoldLifecycle", "TryHold", "ElectionLeader"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return releaseLeaks{a} }
		})},
	{"ReleaseNeedsCtx", []string{"HoldLifecycle"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return releaseNeedsCtx{a} }
		})},
	{"VagueLoss", []string{"HardTTL", "StatefulAPI", "Do", "Refresh", "Close", "ElectionClose", "ElectionRun"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return vagueLoss{a} }
		})},
	{"CloseNoop", []string{"Close", "ElectionClose"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return closeNoop{a} }},
	{"NeverReserved", []string{"IsReserved", "DeepkitTwoIDs", "Do", "UnusualIDs"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return neverReserved{a} }},
	{"LossyIDs", []string{"UnusualIDs"}, rewrite(func(r *rewriting) { r.id = lossyID })},
	{"UnescapedIDs", []string{"DeepkitTwoIDs"},
		rewrite(func(r *rewriting) { r.id = func(id string) string { return strings.ReplaceAll(id, "%2F", "/") } })},
	{"ElectionJumps", []string{"ElectionFIFO", "ElectionObserve", "ElectionExclusion"},
		rewrite(func(r *rewriting) { r.acquireID = freshID(func(req brokerlock.Request) bool { return req.Election }) })},
	{"ValueDropped", []string{"ElectionLeader", "ElectionObserve"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request { q.Value = ""; return q }
		})},
	{"ProclaimNoop", []string{"ElectionLeader", "ElectionObserve"},
		rewrite(func(r *rewriting) {
			r.acq = func(a brokerlock.Acquisition) brokerlock.Acquisition { return setValueNoop{a} }
		})},
	{"SemaphoreOverAdmits", []string{"SemaphoreLimit", "SemaphoreExclusion"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request {
				if q.Limit > 0 {
					q.Limit++
				}
				return q
			}
		})},
	{"SemaphoreAsLock", []string{"SemaphoreLimit", "SemaphoreFIFO"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request { q.Limit = 0; return q }
		})},
	{"LimitUnchecked", []string{"SemaphoreLimitMismatch"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request {
				if q.Limit > 0 {
					q.Limit = 3
				}
				return q
			}
		})},
	{"ReadersExclusive", []string{"RWLockReadersShare"},
		rewrite(func(r *rewriting) {
			r.req = func(q brokerlock.Request) brokerlock.Request { q.Shared = false; return q }
		})},
	{"ReadersIgnoreWriters", []string{"RWLockWriterExcludes", "RWLockWriterNotStarved", "RWLockExclusion"},
		rewrite(func(r *rewriting) { r.acquireID = freshID(func(req brokerlock.Request) bool { return req.Shared }) })},
	{"RepeatsTheID", []string{"ErrorTexts"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return repeatsTheID{a} }},
	{"InspectNoValues", []string{"ElectionInspect"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return inspectNoValues{a} }},
	{"NoHead", []string{"ElectionLeader"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return noHead{a} }},
	{"StaleHead", []string{"ElectionObserve"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return headFeed{a, firstOnly} }},
	{"HeadRepeats", []string{"ElectionObserve"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return headFeed{a, twice} }},
	{"HeadIgnoresCtx", []string{"ElectionObserve"},
		func(a brokerlock.Adapter) brokerlock.Adapter { return headIgnoresCtx{a} }},
}

// rewriting changes ids, requests or acquisitions on their way through.
type rewriting struct {
	brokerlock.Adapter
	id        func(string) string                                 // for Acquire and IsReserved
	acquireID func(string, brokerlock.Request) string             // for Acquire only
	req       func(brokerlock.Request) brokerlock.Request         // for Acquire
	acq       func(brokerlock.Acquisition) brokerlock.Acquisition // of Acquire
}

// rewrite returns a wrap function that sets up a rewriting.
func rewrite(set func(*rewriting)) func(brokerlock.Adapter) brokerlock.Adapter {
	return func(a brokerlock.Adapter) brokerlock.Adapter {
		r := &rewriting{Adapter: a}
		set(r)
		return r
	}
}

func (r *rewriting) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	if r.id != nil {
		id = r.id(id)
	}
	if r.acquireID != nil {
		id = r.acquireID(id, req)
	}
	if r.req != nil {
		req = r.req(req)
	}
	a, err := r.Adapter.Acquire(ctx, id, req)
	if err == nil && r.acq != nil {
		a = r.acq(a)
	}
	return a, err
}

// Unwrap returns the adapter rewritten, for the suite's ForceRelease.
func (r *rewriting) Unwrap() brokerlock.Adapter { return r.Adapter }

func (r *rewriting) IsReserved(ctx context.Context, id string) (bool, error) {
	if r.id != nil {
		id = r.id(id)
	}
	return r.Adapter.IsReserved(ctx, id)
}

var freshIDs atomic.Int64

// freshID sends the requests that match to an id of their own, which is
// always free.
func freshID(match func(brokerlock.Request) bool) func(string, brokerlock.Request) string {
	return func(id string, req brokerlock.Request) string {
		if !match(req) {
			return id
		}
		return fmt.Sprintf("%s#%d", id, freshIDs.Add(1))
	}
}

// lossyID is what a careless key encoding does: cut at NUL, repair
// UTF-8, fold case.
func lossyID(id string) string {
	id, _, _ = strings.Cut(id, "\x00")
	return strings.ToLower(strings.ToValidUTF8(id, "\uFFFD"))
}

// queuesLate lets each adapter's first Acquire queue a second late, as
// if the queue position were taken after a slow round trip.
func queuesLate(a brokerlock.Adapter) brokerlock.Adapter {
	return &lateQueue{Adapter: a}
}

type lateQueue struct {
	brokerlock.Adapter
	calls atomic.Int64
}

func (l *lateQueue) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	if l.calls.Add(1) == 1 {
		time.Sleep(time.Second)
	}
	return l.Adapter.Acquire(ctx, id, req)
}

// leaksOnCancel keeps waiting after its caller gave up, and then holds.
type leaksOnCancel struct{ brokerlock.Adapter }

func (l leaksOnCancel) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	type result struct {
		a   brokerlock.Acquisition
		err error
	}
	got := make(chan result, 1)
	go func() {
		a, err := l.Adapter.Acquire(context.WithoutCancel(ctx), id, req)
		got <- result{a, err}
	}()
	select {
	case r := <-got:
		return r.a, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type closeNoop struct{ brokerlock.Adapter }

func (closeNoop) Close() error { return nil }

type neverReserved struct{ brokerlock.Adapter }

func (neverReserved) IsReserved(context.Context, string) (bool, error) { return false, nil }

type constantToken struct{ brokerlock.Acquisition }

func (constantToken) Token() int64 { return 1 }

type lateExpires struct{ brokerlock.Acquisition }

func (l lateExpires) Expires() time.Time { return l.Acquisition.Expires().Add(time.Hour) }

type refreshNoop struct{ brokerlock.Acquisition }

func (r refreshNoop) Refresh(context.Context) error { return r.Err() }

type releaseLeaks struct{ brokerlock.Acquisition }

func (releaseLeaks) Release(context.Context) error { return nil }

type releaseNeedsCtx struct{ brokerlock.Acquisition }

func (r releaseNeedsCtx) Release(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.Acquisition.Release(ctx)
}

// vagueLoss reports a loss without wrapping ErrLockLost.
type vagueLoss struct{ brokerlock.Acquisition }

func vague(err error) error {
	if errors.Is(err, brokerlock.ErrLockLost) {
		return errors.New("gone")
	}
	return err
}

func (v vagueLoss) Err() error                        { return vague(v.Acquisition.Err()) }
func (v vagueLoss) Release(ctx context.Context) error { return vague(v.Acquisition.Release(ctx)) }
func (v vagueLoss) Refresh(ctx context.Context) error { return vague(v.Acquisition.Refresh(ctx)) }

// lateDone closes Done 200ms after the hold ended.
type lateDone struct {
	brokerlock.Acquisition
	done chan struct{}
}

func newLateDone(a brokerlock.Acquisition) brokerlock.Acquisition {
	l := &lateDone{Acquisition: a, done: make(chan struct{})}
	go func() {
		<-a.Done()
		time.Sleep(200 * time.Millisecond)
		close(l.done)
	}()
	return l
}

func (l *lateDone) Done() <-chan struct{} { return l.done }

type setValueNoop struct{ brokerlock.Acquisition }

func (s setValueNoop) SetValue(context.Context, string) error { return s.Err() }

type noHead struct{ brokerlock.Adapter }

func (noHead) Head(context.Context, string) (brokerlock.Leader, error) {
	return brokerlock.Leader{}, nil
}

type headIgnoresCtx struct{ brokerlock.Adapter }

func (h headIgnoresCtx) WatchHead(ctx context.Context, id string) <-chan brokerlock.Leader {
	return h.Adapter.WatchHead(context.WithoutCancel(ctx), id)
}

// headFeed passes the wrapped WatchHead's states through send, which
// decides what the receiver gets.
type headFeed struct {
	brokerlock.Adapter
	send func(out chan<- brokerlock.Leader, i int, l brokerlock.Leader)
}

func (h headFeed) WatchHead(ctx context.Context, id string) <-chan brokerlock.Leader {
	in := h.Adapter.WatchHead(ctx, id)
	out := make(chan brokerlock.Leader, 16)
	go func() {
		defer close(out)
		i := 0
		for l := range in {
			h.send(out, i, l)
			i++
		}
	}()
	return out
}

func firstOnly(out chan<- brokerlock.Leader, i int, l brokerlock.Leader) {
	if i == 0 {
		out <- l
	}
}

func twice(out chan<- brokerlock.Leader, _ int, l brokerlock.Leader) {
	out <- l
	out <- l
}

// inspectNoValues is an Inspector that loses the entries' values.
type inspectNoValues struct{ brokerlock.Adapter }

func (i inspectNoValues) Inspect(ctx context.Context, id string) (brokerlock.LockInfo, error) {
	info, err := i.Adapter.(brokerlock.Inspector).Inspect(ctx, id)
	for j := range info.Holders {
		info.Holders[j].Value = ""
	}
	for j := range info.Waiters {
		info.Waiters[j].Value = ""
	}
	return info, err
}

// repeatsTheID names the lock in its errors again, as adapters did before
// BrokerLock named it once.
type repeatsTheID struct{ brokerlock.Adapter }

func (r repeatsTheID) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	a, err := r.Adapter.Acquire(ctx, id, req)
	if err != nil {
		err = fmt.Errorf("memadapter: lock %q: %w", id, err)
	}
	return a, err
}
