package faults_test

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// holdRec is one hold as its worker saw it. All clients are in this
// process, so every time below is on one clock.
type holdRec struct {
	worker   int
	seq      int
	h        tenure
	shared   bool // an RWLock reader: may hold with other readers
	key      string
	token    int64
	acquired time.Time // right after Hold returned

	// guarded by recorder.mu
	doneAt   time.Time // when Done was seen closed (a little late)
	endBound time.Time // another worker acquired and saw Done closed by then
	relCall  time.Time // Release called (its Done closes inside the call)
	relRet   time.Time // Release returned
	relErr   error
	doneErr  error // h.Err() once Done closed
	finished bool  // the worker is done with it (Release returned)
	// outsideEnd is when the test started ending this hold from outside
	// (deleting its key, revoking its lease); zero if it did not.
	outsideEnd time.Time
}

// outsideEndedBy reports whether the hold was being ended from outside at t.
func (hr *holdRec) outsideEndedBy(t time.Time) bool {
	return !hr.outsideEnd.IsZero() && !t.Before(hr.outsideEnd)
}

// ended reports whether the hold's Done is closed.
func (hr *holdRec) ended() bool {
	select {
	case <-hr.h.Done():
		return true
	default:
		return false
	}
}

// end is the earliest known end of the hold: when Release was called, when
// Done was seen closed, or when another worker acquired and saw Done
// closed; zero if none is known. Done closes inside Release, so a release
// ends at or after relCall; an observed Done may be seen a little late,
// and endBound caps that.
func (hr *holdRec) end() time.Time {
	var end time.Time
	for _, t := range []time.Time{hr.relCall, hr.doneAt, hr.endBound} {
		if !t.IsZero() && (end.IsZero() || t.Before(end)) {
			end = t
		}
	}
	return end
}

// lost reports whether the hold ended by a loss (Done closed with an error
// wrapping ErrLockLost) rather than by Release.
func (hr *holdRec) lost() bool { return errors.Is(hr.doneErr, brokerlock.ErrLockLost) }

type readRec struct {
	worker    int
	call, ret time.Time
	val       int64
	modRev    int64
}

type outcome int

const (
	outApplied outcome = iota // Succeeded
	outRefused                // not Succeeded: the Else branch ran
	outUnknown                // error: may or may not have been applied
)

type writeRec struct {
	id        string
	worker    int
	hold      *holdRec
	from      int64 // value read
	fromRev   int64 // ModRevision read
	late      bool  // deliberately written after a pause, ignoring Done
	afterDone bool  // the hold's Done was already closed when writing
	call, ret time.Time
	outcome   outcome
	err       error
	rev       int64 // commit revision when applied
	fenced    bool  // refused: the key was no longer the hold's
	changed   bool  // refused: the counter had been written since the read
	// resolved from the counter's history
	inHistory bool
	histRev   int64
}

// violation is a hold that acquired while another worker's hold had not
// been told (Done still open).
type violation struct {
	holder, acquirer *holdRec
	at               time.Time
}

func (v violation) String() string {
	return fmt.Sprintf("w%d acquired (token %d) while w%d's hold (token %d, key %s) still had Done open",
		v.acquirer.worker, v.acquirer.token, v.holder.worker, v.holder.token, v.holder.key)
}

// event is a fault or a heal, on the run's clock.
type event struct {
	at   time.Time
	what string
	kind evKind
}

type evKind int

const (
	evFault      evKind = iota
	evHeal              // liveness is checked from here
	evHealCut           // the same, after a blackhole (see env.liveBound)
	evHealFrozen        // the same, after testutil.KillMember (see faultLeaderKilled)
)

type recorder struct {
	holders int // how many may hold at once: 1, or a semaphore's limit
	workers int

	mu          sync.Mutex
	holds       []*holdRec
	live        map[*holdRec]bool
	reads       []*readRec
	writes      []*writeRec
	readFails   int
	holdErrs    map[string]int
	holdErrText map[string]string // one example per kind
	failedHolds []failedHold
	failedReads []failedHold
	violations  []violation
	events      []event
}

// newRecorder records a run of workers workers of whom holders may hold
// at once.
func newRecorder(holders, workers int) *recorder {
	return &recorder{holders: holders, workers: workers,
		live: map[*holdRec]bool{}, holdErrs: map[string]int{}, holdErrText: map[string]string{}}
}

// acquired records a new hold and checks, at this instant, that every
// other worker's live hold has been told it ended.
func (r *recorder) acquired(worker, seq int, h tenure, shared bool) *holdRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	hr := &holdRec{worker: worker, seq: seq, h: h, shared: shared, key: h.Key(), token: h.Token(), acquired: now}
	var open []*holdRec // other workers' holds whose Done is still open
	for other := range r.live {
		if other.worker == worker || shared && other.shared {
			continue // readers share
		}
		if other.ended() {
			if other.endBound.IsZero() || now.Before(other.endBound) {
				other.endBound = now
			}
			continue
		}
		open = append(open, other)
	}
	if len(open) >= r.holders { // this hold would make one too many
		for _, other := range open {
			r.violations = append(r.violations, violation{holder: other, acquirer: hr, at: now})
		}
	}
	r.holds = append(r.holds, hr)
	r.live[hr] = true
	return hr
}

func (r *recorder) doneObserved(hr *holdRec) {
	now := time.Now()
	err := hr.h.Err()
	r.mu.Lock()
	defer r.mu.Unlock()
	hr.doneAt, hr.doneErr = now, err
}

func (r *recorder) releasing(hr *holdRec) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	hr.relCall = now
}

func (r *recorder) released(hr *holdRec, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hr.relErr, hr.finished, hr.relRet = err, true, time.Now()
	delete(r.live, hr)
}

// failedHold is a Hold call (or a read) that returned an error.
type failedHold struct {
	worker     int
	start, end time.Time
	err        error
}

func (r *recorder) holdErr(worker int, start time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failedHolds = append(r.failedHolds, failedHold{worker, start, time.Now(), err})
	k := holdErrKind(err)
	r.holdErrs[k]++
	if _, ok := r.holdErrText[k]; !ok {
		r.holdErrText[k] = fmt.Sprintf("w%d: %v", worker, err)
	}
}

func (r *recorder) addRead(rd *readRec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, rd)
}

func (r *recorder) readFailed(worker int, start time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readFails++
	r.failedReads = append(r.failedReads, failedHold{worker, start, time.Now(), err})
}

func (r *recorder) addWrite(wr *writeRec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, wr)
}

func (r *recorder) event(what string, kind evKind) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.events = append(r.events, event{at: now, what: what, kind: kind})
	return now
}

// firstAcquiredAfter returns, per worker, the first time it acquired at or
// after t (zero if it has not).
func (r *recorder) firstAcquiredAfter(t time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := make([]time.Time, r.workers)
	for _, hr := range r.holds {
		if !hr.acquired.Before(t) && (first[hr.worker].IsZero() || hr.acquired.Before(first[hr.worker])) {
			first[hr.worker] = hr.acquired
		}
	}
	return first
}

// holdCount returns how many holds were acquired so far.
func (r *recorder) holdCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.holds)
}

// toldAfter returns how long after t hr's Done was seen closed (rounded),
// waiting up to a second for the observer; -1 if it was before t or never.
func (r *recorder) toldAfter(hr *holdRec, t time.Time) time.Duration {
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		at := hr.doneAt
		r.mu.Unlock()
		if !at.IsZero() {
			if at.Before(t) {
				return -1
			}
			return at.Sub(t).Round(time.Millisecond)
		}
		if time.Now().After(deadline) {
			return -1
		}
	}
}

// lastHeal is when the last heal (any event but a fault) happened.
func (r *recorder) lastHeal() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var last time.Time
	for _, ev := range r.events {
		if ev.kind != evFault {
			last = ev.at
		}
	}
	return last
}
