package chaos

import (
	"math"
	"sort"
)

// hold is one hold (or term) as its worker's log tells it.
type hold struct {
	w, p, seq  int
	call, acq  int64
	end        int64 // earliest known end: Release called, Done seen, process killed; open: math.MaxInt64
	how        string
	key        string
	token      int64
	shared     bool
	lostReason string
}

func (h *hold) endAt(t int64, how string) {
	if t < h.end {
		h.end, h.how = t, how
	}
}

type proc struct{ w, p int }

// window is [from, to) on the run's clock; to is math.MaxInt64 while open.
type window struct{ from, to int64 }

// holdsOf rebuilds every hold from the history, and the windows in which
// each worker process was frozen.
func holdsOf(events []Event) ([]*hold, map[proc][]window) {
	type holdID struct{ w, p, seq int }
	byID := map[holdID]*hold{}
	var holds []*hold
	frozen := map[proc][]window{}
	for _, ev := range events {
		id := holdID{ev.W, ev.P, ev.Seq}
		switch ev.Op {
		case OpAcquired:
			h := &hold{w: ev.W, p: ev.P, seq: ev.Seq, call: ev.Call, acq: ev.T, end: math.MaxInt64,
				key: ev.Key, token: ev.Token, shared: ev.Shared}
			byID[id] = h
			holds = append(holds, h)
		case OpDone:
			if h := byID[id]; h != nil {
				h.endAt(ev.T, "done")
				if ev.Err != "" && h.how == "done" {
					h.how, h.lostReason = "lost", ev.Err
				}
			}
		case OpRelease:
			if h := byID[id]; h != nil {
				h.endAt(ev.T, "released")
			}
		case OpKill:
			for _, h := range holds {
				if h.w == ev.W && h.p == ev.P {
					h.endAt(ev.T, "killed")
				}
			}
		case OpStop:
			frozen[proc{ev.W, ev.P}] = append(frozen[proc{ev.W, ev.P}], window{ev.T, math.MaxInt64})
		case OpCont:
			if ws := frozen[proc{ev.W, ev.P}]; len(ws) > 0 {
				ws[len(ws)-1].to = ev.T
			}
		}
	}
	sort.SliceStable(holds, func(i, j int) bool { return holds[i].acq < holds[j].acq })
	return holds, frozen
}

// frozenDuring reports whether h's process was frozen at some time in
// [from, to].
func frozenDuring(frozen map[proc][]window, h *hold, from, to int64) bool {
	for _, win := range frozen[proc{h.w, h.p}] {
		if win.from <= to && win.to >= from {
			return true
		}
	}
	return false
}
