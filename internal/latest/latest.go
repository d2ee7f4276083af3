// Package latest is the bookkeeping of a channel that always delivers the
// newest state: a slow receiver misses intermediate states, never the
// last one, and never gets the same state twice in a row.
package latest

// Sender holds the state to send next. Its owner goroutine selects on
// Out() <- Next() and calls Sent when that case wins:
//
//	select {
//	case s.Out() <- s.Next():
//		s.Sent()
//	case ev := <-changes:
//		s.Set(stateAfter(ev))
//	}
//
// The zero Sender is not usable; call New.
type Sender[T comparable] struct {
	ch      chan T
	last    T    // the last state sent
	sent    bool // anything was sent yet
	next    T
	pending bool
}

// New returns a Sender on ch.
func New[T comparable](ch chan T) *Sender[T] { return &Sender[T]{ch: ch} }

// Set makes v the state to send, unless it was the last one sent.
func (s *Sender[T]) Set(v T) {
	s.next = v
	s.pending = !s.sent || v != s.last
}

// Out is the channel while a state waits to be sent, nil otherwise (a
// nil channel's case never wins a select).
func (s *Sender[T]) Out() chan<- T {
	if !s.pending {
		return nil
	}
	return s.ch
}

// Next is the state to send.
func (s *Sender[T]) Next() T { return s.next }

// Sent records that Next was delivered.
func (s *Sender[T]) Sent() {
	s.last, s.sent, s.pending = s.next, true, false
}
