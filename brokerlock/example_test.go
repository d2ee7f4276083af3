package brokerlock_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// New takes an adapter: etcdadapter.New(client) in production, memadapter
// in tests (as here, so the example runs anywhere).
func ExampleNew() {
	adapter := memadapter.New()
	defer adapter.Close()
	lock := brokerlock.New(adapter)

	myLock := lock.Item("my-lock", brokerlock.Options{TTL: 60 * time.Second, Timeout: 10 * time.Second})
	fmt.Println(myLock.ID(), myLock.Options().TTL, myLock.Options().Timeout)
	// Output: my-lock 1m0s 10s
}

// Zero options take Deepkit's defaults; invalid ones fail every call with
// ErrInvalid naming the field.
func ExampleBrokerLock_Item() {
	adapter := memadapter.New()
	defer adapter.Close()
	lock := brokerlock.New(adapter)

	opts := lock.Item("defaults", brokerlock.Options{}).Options()
	fmt.Println(opts.TTL, opts.Timeout, opts.KeepAlive)
	_, err := lock.Item("bad", brokerlock.Options{TTL: -time.Second}).Hold(context.Background())
	fmt.Println(errors.Is(err, brokerlock.ErrInvalid), err)
	// Output:
	// 2m0s 30s false
	// true brokerlock: invalid argument: Options.TTL -1s: want between 1ms and 87600h0m0s (0 for the default 2m0s)
}

// Deepkit-style: the Item keeps its one acquisition.
func ExampleItem_Acquire() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	myLock := brokerlock.New(adapter).Item("my-lock", brokerlock.Options{})

	if err := myLock.Acquire(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("acquired:", myLock.Acquired())
	fmt.Println("again:", errors.Is(myLock.Acquire(ctx), brokerlock.ErrAlreadyAcquired))
	if err := myLock.Release(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println("acquired after release:", myLock.Acquired())
	// Output:
	// acquired: true
	// again: true
	// acquired after release: false
}

// Go-style: each Hold is its own acquisition; stop working when Done
// closes.
func ExampleItem_Hold() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	myLock := brokerlock.New(adapter).Item("my-lock", brokerlock.Options{TTL: time.Minute, Timeout: 10 * time.Second})

	h, err := myLock.Hold(ctx)
	if err != nil {
		fmt.Println(err) // errors.Is(err, brokerlock.ErrTimeout) after 10s
		return
	}
	defer h.Release(ctx)

	select {
	case <-h.Done():
		fmt.Println("lost:", h.Err())
	default:
		fmt.Println("holding, token > 0:", h.Token() > 0)
	}
	// Output: holding, token > 0: true
}

// TryHold does not wait.
func ExampleItem_TryHold() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	lock := brokerlock.New(adapter)

	h, _ := lock.Item("import", brokerlock.Options{}).TryHold(ctx)
	defer h.Release(ctx)
	_, err := lock.Item("import", brokerlock.Options{}).TryHold(ctx)
	fmt.Println(errors.Is(err, brokerlock.ErrLocked))
	// Output: true
}

// Do holds the lock while fn runs and releases it after, also on panic;
// fn's ctx is cancelled if the lock is lost.
func ExampleItem_Do() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	report := brokerlock.New(adapter).Item("nightly-report", brokerlock.Options{TTL: 50 * time.Millisecond})

	err := report.Do(ctx, func(ctx context.Context) error {
		<-ctx.Done() // works longer than the TTL
		return ctx.Err()
	})
	fmt.Println("lost:", errors.Is(err, brokerlock.ErrLockLost))
	// Output: lost: true
}

// Check an Item's id and options once, at start-up.
func ExampleItem_Err() {
	lock := brokerlock.New(memadapter.New())
	fmt.Println(lock.Item("report", brokerlock.Options{TTL: time.Minute}).Err())
	err := lock.Item("report", brokerlock.Options{Label: strings.Repeat("x", 300)}).Err()
	fmt.Println(errors.Is(err, brokerlock.ErrInvalid))
	// Output:
	// <nil>
	// true
}
