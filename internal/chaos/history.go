package chaos

import (
	"context"
	"slices"
	"sync"
	"time"
)

// History is a run's record: every worker's events and the harness's
// faults, in the order they arrived, and who holds now.
type History struct {
	mu      sync.Mutex
	events  []Event
	holding map[int]Event // worker: its open acquisition
	changed chan struct{} // closed and replaced on every Add
}

// NewHistory is an empty History.
func NewHistory() *History {
	return &History{holding: map[int]Event{}, changed: make(chan struct{})}
}

// Add records ev (stamping its time if unset).
func (h *History) Add(ev Event) {
	if ev.T == 0 {
		ev.T = time.Now().UnixNano()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
	switch ev.Op {
	case OpAcquired:
		h.holding[ev.W] = ev
	case OpDone, OpRelease, OpKill:
		delete(h.holding, ev.W)
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// Events is a copy of everything recorded.
func (h *History) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// Holders are the workers that hold now, as far as their logs say.
func (h *History) Holders() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	ws := make([]int, 0, len(h.holding))
	for w := range h.holding {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return ws
}

// AwaitAcquired waits for an acquisition at or after since by a worker
// that ok accepts (nil: any).
func (h *History) AwaitAcquired(ctx context.Context, since time.Time, ok func(Event) bool) (Event, bool) {
	seen := 0
	for {
		h.mu.Lock()
		evs, changed := h.events[seen:], h.changed
		seen = len(h.events)
		h.mu.Unlock()
		for _, ev := range evs {
			if ev.Op == OpAcquired && ev.T >= since.UnixNano() && (ok == nil || ok(ev)) {
				return ev, true
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, false
		}
	}
}
