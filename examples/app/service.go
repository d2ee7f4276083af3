package main

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Service does something critical that only one replica may do at a time.
// It gets its lock through its constructor, as Deepkit's provider hands a
// BrokerLockItem to a service, so tests can hand it a lock on memadapter.
type Service struct {
	criticalLock *brokerlock.Item
	work         func(ctx context.Context) error
}

// NewService returns a Service that runs work under criticalLock.
func NewService(criticalLock *brokerlock.Item, work func(ctx context.Context) error) *Service {
	return &Service{criticalLock: criticalLock, work: work}
}

// DoSomethingCritical runs the work while holding the lock; the lock is
// released when the work returns, also on panic, and the work's ctx is
// cancelled if the lock is lost meanwhile.
func (s *Service) DoSomethingCritical(ctx context.Context) error {
	if err := s.criticalLock.Do(ctx, s.work); err != nil {
		return fmt.Errorf("critical section: %w", err)
	}
	return nil
}

// criticalLockOptions are the seed's { ttl: '60s', timeout: '10s' }.
var criticalLockOptions = brokerlock.Options{TTL: 60 * time.Second, Timeout: 10 * time.Second}

// provideCriticalLock is the Go side of Deepkit's
// provide<MyCriticalLock>((lock: BrokerLock) => lock.item('my-critical-lock', ...)).
func provideCriticalLock(lock *brokerlock.BrokerLock) *brokerlock.Item {
	return lock.Item("my-critical-lock", criticalLockOptions)
}
