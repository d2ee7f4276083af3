package latest

import (
	"slices"
	"testing"
)

// A receiver that reads after several changes gets only the newest, and
// never the same state twice in a row.
func TestSenderDeliversLatestOnce(t *testing.T) {
	ch := make(chan int, 1)
	s := New(ch)
	var got []int
	deliver := func() {
		select {
		case s.Out() <- s.Next():
			s.Sent()
		default:
		}
		select {
		case v := <-ch:
			got = append(got, v)
		default:
		}
	}
	s.Set(0) // the first state is sent even when it is the zero value
	deliver()
	s.Set(1)
	s.Set(2) // replaces 1 before anyone received it
	deliver()
	s.Set(2) // the same as the last sent: nothing to send
	deliver()
	s.Set(3)
	s.Set(2) // back to the last sent before 3 went out: nothing to send
	deliver()
	if want := []int{0, 2}; !slices.Equal(got, want) {
		t.Errorf("states received: got %v, want %v", got, want)
	}
	if s.Out() != nil {
		t.Errorf("Out after everything was sent: got a channel, want nil")
	}
}
