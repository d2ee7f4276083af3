package fxlock

import (
	"fmt"

	"go.uber.org/fx"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// ProvideItem provides lock id with opts as a T, a type of your own that
// embeds *brokerlock.Item:
//
//	type MyCriticalLock struct{ *brokerlock.Item }
//
//	fxlock.ProvideItem[MyCriticalLock]("my-critical-lock", brokerlock.Options{TTL: time.Minute})
//
// A constructor that takes a MyCriticalLock then gets that lock; the type
// tells fx which lock, as Deepkit's provide<MyCriticalLock>(...) does. It
// is short for
//
//	fx.Provide(func(bl *brokerlock.BrokerLock) MyCriticalLock {
//		return MyCriticalLock{bl.Item("my-critical-lock", opts)}
//	})
//
// except that an invalid id or options fail the app before anything is
// constructed, with an error wrapping brokerlock.ErrInvalid (Item.Err).
func ProvideItem[T ~struct{ *brokerlock.Item }](id string, opts brokerlock.Options) fx.Option {
	if err := brokerlock.New(nil).Item(id, opts).Err(); err != nil {
		return fx.Error(fmt.Errorf("fxlock: ProvideItem: %w", err))
	}
	return fx.Provide(func(bl *brokerlock.BrokerLock) T {
		return T{bl.Item(id, opts)}
	})
}

// ProvideElection provides the election name with opts as a T, a type of
// your own that embeds *brokerlock.Election, as ProvideItem does for a
// lock:
//
//	type SchedulerElection struct{ *brokerlock.Election }
//
//	fxlock.ProvideElection[SchedulerElection]("scheduler", brokerlock.ElectionOptions{TTL: 10 * time.Second})
//
// An invalid name or options fail the app before anything is constructed,
// with an error wrapping brokerlock.ErrInvalid (Election.Err). Run the
// election from an fx.Lifecycle hook: start Election.Run in OnStart with a
// context that OnStop cancels, and wait for it in OnStop.
func ProvideElection[T ~struct{ *brokerlock.Election }](name string, opts brokerlock.ElectionOptions) fx.Option {
	if err := brokerlock.New(nil).Election(name, opts).Err(); err != nil {
		return fx.Error(fmt.Errorf("fxlock: ProvideElection: %w", err))
	}
	return fx.Provide(func(bl *brokerlock.BrokerLock) T {
		return T{bl.Election(name, opts)}
	})
}

// ProvideSemaphore provides the semaphore id with limit and opts as a T,
// a type of your own that embeds *brokerlock.Semaphore, as ProvideItem
// does for a lock. Invalid arguments fail the app with ErrInvalid.
func ProvideSemaphore[T ~struct{ *brokerlock.Semaphore }](id string, limit int, opts brokerlock.Options) fx.Option {
	if err := brokerlock.New(nil).Semaphore(id, limit, opts).Err(); err != nil {
		return fx.Error(fmt.Errorf("fxlock: ProvideSemaphore: %w", err))
	}
	return fx.Provide(func(bl *brokerlock.BrokerLock) T {
		return T{bl.Semaphore(id, limit, opts)}
	})
}

// ProvideRWLock provides the readers/writer lock id with opts as a T, a
// type of your own that embeds *brokerlock.RWLock, as ProvideItem does
// for a lock. Invalid arguments fail the app with ErrInvalid.
func ProvideRWLock[T ~struct{ *brokerlock.RWLock }](id string, opts brokerlock.Options) fx.Option {
	if err := brokerlock.New(nil).RWLock(id, opts).Err(); err != nil {
		return fx.Error(fmt.Errorf("fxlock: ProvideRWLock: %w", err))
	}
	return fx.Provide(func(bl *brokerlock.BrokerLock) T {
		return T{bl.RWLock(id, opts)}
	})
}
