// Package holdstate is the end-of-hold bookkeeping that every adapter
// shares: a Done channel closed exactly once, and the error that ended the
// hold.
package holdstate

import "sync"

// State is nil-error and open until End is first called. The zero value is
// not usable; call New.
type State struct {
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// New returns an open State.
func New() *State { return &State{done: make(chan struct{})} }

// End records err (non-nil) and closes Done. Only the first call has an
// effect; it reports whether this call was that one.
func (s *State) End(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	s.err = err
	close(s.done)
	return true
}

// Done is closed by the first End.
func (s *State) Done() <-chan struct{} { return s.done }

// Err is nil until End, then the error End recorded.
func (s *State) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
