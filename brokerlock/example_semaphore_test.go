package brokerlock_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// A Semaphore lets at most Limit holders in at once, each with a permit
// of its own: a Hold with its own fencing token.
func ExampleSemaphore() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	migrations := brokerlock.New(adapter).Semaphore("migrate", 2, brokerlock.Options{})

	first, _ := migrations.Hold(ctx)
	second, _ := migrations.Hold(ctx)
	_, err := migrations.TryHold(ctx)
	fmt.Println("third:", errors.Is(err, brokerlock.ErrLocked))

	info, _ := migrations.Inspect(ctx)
	fmt.Printf("%d/%d permits held\n", len(info.Holders), migrations.Limit())
	_ = first.Release(ctx)
	third, err := migrations.TryHold(ctx)
	fmt.Println("after a release:", err == nil, third.Token() > second.Token())
	_ = second.Release(ctx)
	_ = third.Release(ctx)
	// Output:
	// third: true
	// 2/2 permits held
	// after a release: true true
}

// An RWLock has many readers or one writer; a reader that comes after a
// waiting writer waits behind it.
func ExampleRWLock() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	snapshot := brokerlock.New(adapter).RWLock("snapshot", brokerlock.Options{})

	r1, _ := snapshot.RHold(ctx)
	r2, err := snapshot.TryRHold(ctx)
	fmt.Println("two readers:", err == nil)
	_, err = snapshot.TryHold(ctx)
	fmt.Println("writer while they read:", errors.Is(err, brokerlock.ErrLocked))
	_ = r1.Release(ctx)
	_ = r2.Release(ctx)

	err = snapshot.Do(ctx, func(ctx context.Context) error {
		fmt.Println("writing alone")
		return nil
	})
	fmt.Println("Do:", err)
	// Output:
	// two readers: true
	// writer while they read: true
	// writing alone
	// Do: <nil>
}
