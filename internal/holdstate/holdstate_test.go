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
