// Package holdstate is the end-of-hold bookkeeping that every adapter
// shares: a Done channel closed exactly once, and the error that ended the
// hold.
package holdstate

import "sync"

// State is nil-error and open until End is first called. The zero value
// is an open State. Its Done channel is made by the first call of Done
// (a hold nobody selects on costs no channel).
type State struct {
	mu   sync.Mutex
	done chan struct{} // nil until Done or End
	err  error
}

// closed is the Done of every State that ended before anyone asked.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// New returns an open State.
func New() *State { return &State{} }

// End records err (non-nil) and closes Done. Only the first call has an
// effect; it reports whether this call was that one.
func (s *State) End(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	s.err = err
	if s.done == nil {
		s.done = closed
	} else {
		close(s.done)
	}
	return true
}

// Done is closed by the first End.
func (s *State) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

// Err is nil until End, then the error End recorded.
func (s *State) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
