package holdstate

import (
	"errors"
	"sync"
	"testing"
)

// Only the first End counts, even when many race; Done closes once.
func TestEndOnce(t *testing.T) {
	s := New()
	if s.Err() != nil {
		t.Fatalf("Err before End: got %v, want nil", s.Err())
	}
	var wg sync.WaitGroup
	var wins sync.Map
	for i := range 8 {
		wg.Go(func() {
			if s.End(errors.New("end")) {
				wins.Store(i, true)
			}
		})
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("Ends that won: got %d, want 1", n)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done still open after End")
	}
	if s.Err() == nil {
		t.Error("Err after End: got nil")
	}
}

func TestDoneBeforeEndIsClosedByEnd(t *testing.T) {
	var s State // the zero value is open
	done := s.Done()
	select {
	case <-done:
		t.Fatal("Done closed before End")
	default:
	}
	s.End(errors.New("end"))
	select {
	case <-done:
	default:
		t.Error("the Done channel taken before End: still open after End")
	}
	if s.Done() != done {
		t.Error("Done after End: got another channel than the one taken before")
	}
}
