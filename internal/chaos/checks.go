package chaos

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Violation is a broken promise.
type Violation struct {
	Check string `json:"check"` // exclusion, fence, lost-update, torn-read, linearizable, liveness, leaked-keys
	T     int64  `json:"t,omitempty"`
	W     int    `json:"w"`
	Text  string `json:"text"`
}

// Result is what one run did and what its checks found.
type Result struct {
	Mode, Etcd    string
	Start, End    int64
	Holds         int
	Handoffs      int // consecutive holds by different workers
	Losses        int // holds that ended with Done and an error
	HoldFails     int
	Writes        map[string]int // fenced writes, by outcome
	UnknownLanded int            // writes whose answer was lost but that the server applied
	Late          map[string]int // writes made after Done closed, by outcome
	Reads         map[string]int // fenced reads (RW readers'), by outcome
	LateReads     map[string]int // fenced reads made after Done closed, by outcome
	TornExcused   int            // RW reads of a pair left torn by a writer that lost its lock
	Linearizable  string
	Faults        []Fault
	Violations    []Violation
	LeakedKeys    []string
	StopKilled    int // workers that did not stop on SIGTERM in time
}

// Check runs every check on a run's history and the server's.
func Check(load Workload, prefix string, events []Event, server []ServerEvent, faults []Fault) *Result {
	res := &Result{Mode: load.Mode, Writes: map[string]int{}, Late: map[string]int{},
		Reads: map[string]int{}, LateReads: map[string]int{}, Faults: faults}
	if len(events) > 0 {
		res.Start, res.End = events[0].T, events[len(events)-1].T
	}
	holds, frozen := holdsOf(events)
	res.Holds = len(holds)
	for i, h := range holds {
		if i > 0 && holds[i-1].w != h.w {
			res.Handoffs++
		}
		if h.how == "lost" {
			res.Losses++
		}
	}
	checkExclusion(res, load, holds, frozen)
	applied := checkServer(res, load, prefix, server)
	countWrites(res, events, applied)
	if load.Mode == "lock" || load.Mode == "election" {
		checkLinearizable(res, events, applied)
	}
	if load.Mode == "rwlock" {
		checkTornReads(res, prefix, events, server)
	}
	checkFaults(res, load, events, holds)
	return res
}

// checkExclusion: no hold was acquired while other holds whose Done had
// not closed (and whose process had not been killed) excluded it: any
// other for a lock or an election, limit others for a semaphore, any
// writer for an RWLock reader. A holder whose process was frozen in
// between is exempt: it could not have been told.
func checkExclusion(res *Result, load Workload, holds []*hold, frozen map[proc][]window) {
	for i, a := range holds {
		var open []*hold
		for _, b := range holds[:i] {
			if b.w != a.w && b.end > a.acq && !frozenDuring(frozen, b, b.acq, a.acq) && conflicts(load, a, b) {
				open = append(open, b)
			}
		}
		if len(open) >= max(1, allowed(load)) {
			res.Violations = append(res.Violations, Violation{Check: "exclusion", T: a.acq, W: a.w,
				Text: fmt.Sprintf("w%d acquired token %d while %s", a.w, a.token, describe(open))})
		}
	}
}

// allowed is how many other holds may be open when one is acquired.
func allowed(load Workload) int {
	if load.Mode == "semaphore" {
		return load.Limit
	}
	return 1
}

func conflicts(load Workload, a, b *hold) bool {
	return load.Mode != "rwlock" || !a.shared || !b.shared
}

func describe(hs []*hold) string {
	var parts []string
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("w%d's hold (token %d) had Done open", h.w, h.token))
	}
	return strings.Join(parts, ", ")
}

// checkServer replays the server's history: every applied guarded write
// must have been made while its key was in the queue with its token and
// admitted by the primitive's rule (the lowest key; one of the lowest
// limit keys for a semaphore); the counter only ever goes up by one.
// It returns the revision at which each written value was applied.
func checkServer(res *Result, load Workload, prefix string, server []ServerEvent) map[string]int64 {
	queue := map[string]int64{} // key: create revision
	applied := map[string]int64{}
	var counter int64
	for _, ev := range server {
		switch {
		case strings.HasPrefix(ev.Key, prefix+"q/") && ev.Put:
			if _, ok := queue[ev.Key]; !ok {
				queue[ev.Key] = ev.CreateRev
			}
		case strings.HasPrefix(ev.Key, prefix+"q/"):
			delete(queue, ev.Key)
		case strings.HasPrefix(ev.Key, prefix+"d/") && ev.Put:
			applied[ev.Value] = ev.Rev
			checkAdmitted(res, load, queue, ev)
			if ev.Key == prefix+"d/counter" {
				n, _ := strconv.ParseInt(strings.Fields(ev.Value)[0], 10, 64)
				if n != counter+1 {
					res.Violations = append(res.Violations, Violation{Check: "lost-update", W: -1,
						Text: fmt.Sprintf("counter went from %d to %d at revision %d", counter, n, ev.Rev)})
				}
				counter = n
			}
		}
	}
	return applied
}

// checkAdmitted checks one applied write against the queue before it.
func checkAdmitted(res *Result, load Workload, queue map[string]int64, ev ServerEvent) {
	f := strings.Fields(ev.Value)
	if len(f) < 4 {
		res.Violations = append(res.Violations, Violation{Check: "fence", W: -1,
			Text: fmt.Sprintf("%q applied at revision %d is no worker's write", ev.Value, ev.Rev)})
		return
	}
	key := f[len(f)-1]
	token, _ := strconv.ParseInt(f[len(f)-2], 10, 64)
	create, ok := queue[key]
	if !ok || create != token {
		res.Violations = append(res.Violations, Violation{Check: "fence", W: -1,
			Text: fmt.Sprintf("%q applied at revision %d after its key %s (token %d) had gone", ev.Value, ev.Rev, key, token)})
		return
	}
	ahead := 0
	for _, c := range queue {
		if c < create {
			ahead++
		}
	}
	if ahead >= allowed(load) {
		res.Violations = append(res.Violations, Violation{Check: "fence", W: -1,
			Text: fmt.Sprintf("%q applied at revision %d with %d keys ahead of %s", ev.Value, ev.Rev, ahead, key)})
	}
}

// countWrites sums the fenced writes and reads by outcome, resolving lost
// answers from the server's history, and the failed Holds.
func countWrites(res *Result, events []Event, applied map[string]int64) {
	for _, ev := range events {
		switch {
		case ev.Op == OpHoldFail:
			res.HoldFails++
		case ev.Op == OpRead && ev.Outcome != "":
			res.Reads[ev.Outcome]++
			if ev.Late {
				res.LateReads[ev.Outcome]++
			}
		case ev.Op == OpWrite:
			if _, ok := applied[ev.Mark]; ok && ev.Outcome == Unknown {
				res.UnknownLanded++
			}
			res.Writes[ev.Outcome]++
			if ev.Late {
				res.Late[ev.Outcome]++
			}
		}
	}
}

// checkTornReads: a reader's fenced read (applied: its key still held at
// that revision) saw the pair differ. That is a violation unless the
// writer of a never got to write b (it lost its lock in between): if b = a
// was applied after the read, a writer wrote while a reader held.
func checkTornReads(res *Result, prefix string, events []Event, server []ServerEvent) {
	bAt := map[string]int64{}
	for _, ev := range server {
		if ev.Put && ev.Key == prefix+"d/b" {
			bAt[ev.Value] = ev.Rev
		}
	}
	for _, ev := range events {
		if ev.Op != OpRead || ev.Outcome != Applied || ev.A == ev.B {
			continue
		}
		if rev, ok := bAt[ev.A]; ok && rev > ev.Rev {
			res.Violations = append(res.Violations, Violation{Check: "torn-read", T: ev.T, W: ev.W,
				Text: fmt.Sprintf("w%d read a=%q b=%q at revision %d (late %v); b=a was applied at %d", ev.W, ev.A, ev.B, ev.Rev, ev.Late, rev)})
		} else {
			res.TornExcused++
		}
	}
}

// checkFaults: the figures of each fault's window, and liveness.
func checkFaults(res *Result, load Workload, events []Event, holds []*hold) {
	for i := range res.Faults {
		f := &res.Faults[i]
		from, heal, next := f.Start.UnixNano(), f.Heal.UnixNano(), res.End
		if i+1 < len(res.Faults) {
			next = res.Faults[i+1].Start.UnixNano()
		}
		for _, h := range holds {
			if h.acq >= from && h.acq < heal {
				f.Holds++
			}
			if h.how == "lost" && h.end >= from && h.end < next {
				f.Lost = append(f.Lost, time.Duration(h.end-from))
			}
		}
		f.Handoffs = handoffGaps(holds, from, heal)
		if !f.Recovered {
			res.Violations = append(res.Violations, Violation{Check: "liveness", T: heal, W: -1,
				Text: fmt.Sprintf("%s: nobody acquired within %v of the heal", f.Name, load.liveBound())})
		}
	}
}

// handoffGaps are, for each hold released in [from, to], the time until
// the next acquisition by anyone.
func handoffGaps(holds []*hold, from, to int64) []time.Duration {
	var gaps []time.Duration
	for _, h := range holds {
		if h.how != "released" || h.end < from || h.end > to {
			continue
		}
		next := int64(math.MaxInt64)
		for _, o := range holds {
			if o.acq >= h.end && o.acq < next {
				next = o.acq
			}
		}
		if next != math.MaxInt64 {
			gaps = append(gaps, time.Duration(next-h.end))
		}
	}
	return gaps
}
