package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// Services on several "replicas" never run the critical work at once:
// how a user unit-tests such a service with memadapter.
func TestServiceRunsOneAtATime(t *testing.T) {
	table := memadapter.New()
	defer table.Close()
	var inside, runs atomic.Int32
	work := func(ctx context.Context) error {
		if n := inside.Add(1); n != 1 {
			t.Errorf("%d replicas in the critical section, want 1", n)
		}
		runs.Add(1)
		inside.Add(-1)
		return nil
	}
	var wg sync.WaitGroup
	for range 3 {
		replica := table.NewClient()
		defer replica.Close()
		svc := NewService(provideCriticalLock(brokerlock.New(replica)), work)
		wg.Go(func() {
			for range 20 {
				if err := svc.DoSomethingCritical(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if runs.Load() != 60 {
		t.Errorf("runs: got %d, want 60", runs.Load())
	}
}

// The work's error comes back wrapped, matchable with errors.Is.
func TestServiceReturnsWorkError(t *testing.T) {
	adapter := memadapter.New()
	defer adapter.Close()
	errWork := errors.New("work failed")
	svc := NewService(provideCriticalLock(brokerlock.New(adapter)), func(context.Context) error { return errWork })
	if err := svc.DoSomethingCritical(context.Background()); !errors.Is(err, errWork) {
		t.Errorf("got %v, want errors.Is %v", err, errWork)
	}
}
