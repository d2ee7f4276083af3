package chaos

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each check must find the violation its promise forbids in a small
// history made by hand, and nothing in the same history without it.

var (
	lock      = Workload{Mode: "lock", TTL: 3 * time.Second}
	semaphore = Workload{Mode: "semaphore", Limit: 2, TTL: 3 * time.Second}
	rwlock    = Workload{Mode: "rwlock", TTL: 3 * time.Second}
)

const pre = "chaos/t/"

func acq(t int64, w int, token int64) Event {
	return Event{T: t, Call: t - 1, W: w, P: 1, Seq: int(token), Op: OpAcquired, Key: key(token), Token: token}
}

func racq(t int64, w int, token int64) Event {
	ev := acq(t, w, token)
	ev.Shared = true
	return ev
}

func rel(t int64, w int, token int64) Event {
	return Event{T: t, W: w, P: 1, Seq: int(token), Op: OpRelease}
}

func key(token int64) string { return pre + "q/x/" + string(rune('a'+token)) }

func violations(res *Result, check string) []Violation {
	var vs []Violation
	for _, v := range res.Violations {
		if v.Check == check {
			vs = append(vs, v)
		}
	}
	return vs
}

func TestCheckExclusion(t *testing.T) {
	tests := []struct {
		name   string
		load   Workload
		events []Event
		want   int
	}{
		{"lock handoff after release", lock, []Event{acq(10, 0, 1), rel(20, 0, 1), acq(30, 1, 2)}, 0},
		{"lock overlap", lock, []Event{acq(10, 0, 1), acq(30, 1, 2), rel(40, 0, 1)}, 1},
		{"loss told before the next hold", lock, []Event{acq(10, 0, 1), {T: 20, W: 0, P: 1, Seq: 1, Op: OpDone, Err: "lost"}, acq(30, 1, 2)}, 0},
		{"killed holder", lock, []Event{acq(10, 0, 1), {T: 20, W: 0, P: 1, Op: OpKill}, acq(30, 1, 2)}, 0},
		{"frozen holder is exempt", lock, []Event{acq(10, 0, 1), {T: 15, W: 0, P: 1, Op: OpStop}, acq(30, 1, 2), {T: 35, W: 0, P: 1, Op: OpCont}, rel(40, 0, 1)}, 0},
		{"semaphore at its limit", semaphore, []Event{acq(10, 0, 1), acq(20, 1, 2), rel(30, 0, 1), acq(40, 2, 3)}, 0},
		{"semaphore over its limit", semaphore, []Event{acq(10, 0, 1), acq(20, 1, 2), acq(30, 2, 3)}, 1},
		{"readers together", rwlock, []Event{racq(10, 0, 1), racq(20, 1, 2)}, 0},
		{"writer with a reader", rwlock, []Event{racq(10, 0, 1), acq(20, 1, 2)}, 1},
		{"reader with a writer", rwlock, []Event{acq(10, 0, 1), racq(20, 1, 2)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(tt.load, pre, tt.events, nil, nil)
			if got := len(violations(res, "exclusion")); got != tt.want {
				t.Errorf("exclusion violations: got %d, want %d (%v)", got, tt.want, res.Violations)
			}
		})
	}
}

func put(rev int64, k, v string, create int64) ServerEvent {
	return ServerEvent{Rev: rev, Key: k, Value: v, Put: true, CreateRev: create}
}

func del(rev int64, k string) ServerEvent { return ServerEvent{Rev: rev, Key: k} }

// write is a guarded write by the key of token.
func write(rev int64, token int64) ServerEvent {
	return put(rev, pre+"d/w0", "w0 1 "+itoa(token)+" "+key(token), rev)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCheckFence(t *testing.T) {
	tests := []struct {
		name   string
		load   Workload
		server []ServerEvent
		want   int
	}{
		{"written while first", lock, []ServerEvent{put(2, key(2), "{}", 2), write(3, 2)}, 0},
		{"written after its key went", lock, []ServerEvent{put(2, key(2), "{}", 2), del(3, key(2)), write(4, 2)}, 1},
		{"written while second", lock, []ServerEvent{put(2, key(2), "{}", 2), put(3, key(3), "{}", 3), write(4, 3)}, 1},
		{"semaphore: second of two", semaphore, []ServerEvent{put(2, key(2), "{}", 2), put(3, key(3), "{}", 3), write(4, 3)}, 0},
		{"semaphore: third of two", semaphore, []ServerEvent{put(2, key(2), "{}", 2), put(3, key(3), "{}", 3), put(4, key(4), "{}", 4), write(5, 4)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(tt.load, pre, nil, tt.server, nil)
			if got := len(violations(res, "fence")); got != tt.want {
				t.Errorf("fence violations: got %d, want %d (%v)", got, tt.want, res.Violations)
			}
		})
	}
}

func TestCheckCounter(t *testing.T) {
	counter := func(rev, n int64) ServerEvent {
		return put(rev, pre+"d/counter", itoa(n)+" w0 1 2 "+key(2), rev)
	}
	server := []ServerEvent{put(2, key(2), "{}", 2), counter(3, 1), counter(4, 2), counter(5, 4)}
	res := Check(lock, pre, nil, server, nil)
	if got := len(violations(res, "lost-update")); got != 1 {
		t.Errorf("lost-update violations for 1, 2, 4: got %d, want 1 (%v)", got, res.Violations)
	}
}

func TestCheckLinearizable(t *testing.T) {
	read := func(call, ret, val int64) Event { return Event{Call: call, T: ret, W: 1, P: 1, Op: OpRead, Val: val} }
	incr := func(call, ret, from int64, out string) Event {
		return Event{Call: call, T: ret, W: 0, P: 1, Op: OpWrite, From: from, Outcome: out, Mark: "m" + itoa(from)}
	}
	tests := []struct {
		name   string
		events []Event
		want   string
	}{
		{"read after an increment", []Event{incr(1, 2, 0, Applied), read(3, 4, 1)}, "ok"},
		{"stale read after an increment", []Event{incr(1, 2, 0, Applied), read(3, 4, 0)}, "NO"},
		{"increment from a stale value applied", []Event{incr(1, 2, 0, Applied), incr(3, 4, 0, Applied)}, "NO"},
		{"refused increment changes nothing", []Event{incr(1, 2, 0, Refused), read(3, 4, 0)}, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(lock, pre, tt.events, nil, nil)
			if res.Linearizable != tt.want {
				t.Errorf("linearizable: got %q, want %q", res.Linearizable, tt.want)
			}
		})
	}
}

func TestCheckTornReads(t *testing.T) {
	v1, v2 := "w0 1 2 "+key(2), "w0 2 3 "+key(3)
	read := func(outcome string) Event {
		return Event{T: 10, Call: 9, W: 1, P: 1, Op: OpRead, Outcome: outcome, A: v2, B: v1, Rev: 20}
	}
	server := []ServerEvent{put(17, key(3), "{}", 17)}
	finished := append(server, put(19, pre+"d/a", v2, 5), put(21, pre+"d/b", v2, 6))
	tests := []struct {
		name        string
		read        Event
		server      []ServerEvent
		want, excus int
	}{
		{"writer finished after the read", read(Applied), finished, 1, 0},
		{"writer lost its lock between a and b", read(Applied), append(server, put(19, pre+"d/a", v2, 5)), 0, 1},
		{"the read's fence refused it (the reader's key had gone)", read(Refused), finished, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(rwlock, pre, []Event{tt.read}, tt.server, nil)
			if got := len(violations(res, "torn-read")); got != tt.want || res.TornExcused != tt.excus {
				t.Errorf("torn reads: got %d (excused %d), want %d (excused %d)", got, res.TornExcused, tt.want, tt.excus)
			}
			if got := res.Reads[tt.read.Outcome]; got != 1 || len(res.Writes) != 0 {
				t.Errorf("fenced reads %s: got %d (writes %v), want 1 (no writes)", tt.read.Outcome, got, res.Writes)
			}
		})
	}
}

func TestCheckLiveness(t *testing.T) {
	now := time.Unix(100, 0)
	faults := []Fault{
		{Name: "recovered", Start: now, Heal: now.Add(time.Second), Recovered: true},
		{Name: "stuck", Start: now.Add(2 * time.Second), Heal: now.Add(3 * time.Second)},
	}
	res := Check(lock, pre, nil, nil, faults)
	vs := violations(res, "liveness")
	if len(vs) != 1 || !strings.Contains(vs[0].Text, "stuck") {
		t.Errorf("liveness violations: got %v, want one for the fault named stuck", vs)
	}
}
