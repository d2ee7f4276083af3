package memadapter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// A unit test of code that takes a lock runs it on a memadapter instead
// of etcd.
func ExampleNew() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	report := brokerlock.New(adapter).Item("nightly-report", brokerlock.Options{TTL: time.Minute})

	err := report.Do(ctx, func(ctx context.Context) error {
		reserved, _ := report.IsReserved(ctx)
		fmt.Println("reserved while fn runs:", reserved)
		return nil
	})
	reserved, _ := report.IsReserved(ctx)
	fmt.Println("Do:", err, "- reserved afterwards:", reserved)
	// Output:
	// reserved while fn runs: true
	// Do: <nil> - reserved afterwards: false
}

// Two handles on one table contend like two processes.
func ExampleAdapter_NewClient() {
	ctx := context.Background()
	process1 := memadapter.New()
	defer process1.Close()
	process2 := process1.NewClient()
	defer process2.Close()
	import1 := brokerlock.New(process1).Item("import", brokerlock.Options{})
	import2 := brokerlock.New(process2).Item("import", brokerlock.Options{})

	h1, _ := import1.TryHold(ctx)
	_, err := import2.TryHold(ctx)
	fmt.Println("second process locked out:", errors.Is(err, brokerlock.ErrLocked))
	_ = h1.Release(ctx)
	h2, err := import2.TryHold(ctx)
	fmt.Println("after release:", err, "- newer token:", h2.Token() > h1.Token())
	_ = h2.Release(ctx)
	// Output:
	// second process locked out: true
	// after release: <nil> - newer token: true
}

// Revoke tests how code copes with losing its lock mid-work.
func ExampleAdapter_Revoke() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	job := brokerlock.New(adapter).Item("job", brokerlock.Options{})

	started := make(chan struct{})
	result := make(chan error)
	go func() {
		result <- job.Do(ctx, func(ctx context.Context) error {
			close(started)
			<-ctx.Done() // the work stops when the lock is lost
			return context.Cause(ctx)
		})
	}()
	<-started
	fmt.Println("revoked:", adapter.Revoke("job"))
	fmt.Println("Do reports the loss:", errors.Is(<-result, brokerlock.ErrLockLost))
	// Output:
	// revoked: true
	// Do reports the loss: true
}

// Waiters lets a test wait until a worker is queued, without sleeping a
// guessed time.
func ExampleAdapter_Waiters() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	job := brokerlock.New(adapter).Item("job", brokerlock.Options{})
	first, _ := job.Hold(ctx)

	got := make(chan int64)
	go func() {
		h, _ := job.Hold(ctx)
		got <- h.Token()
		_ = h.Release(ctx)
	}()
	for adapter.Waiters("job") == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("waiting:", adapter.Waiters("job"))
	_ = first.Release(ctx)
	fmt.Println("the waiter got the next token:", <-got > first.Token())
	// Output:
	// waiting: 1
	// the waiter got the next token: true
}
