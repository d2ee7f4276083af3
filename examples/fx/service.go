package main

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// counterKey counts the runs of the critical work across all replicas.
const counterKey = keyPrefix + "runs"

// Service does something critical that only one replica may do at a time.
type Service struct {
	criticalLock MyCriticalLock
	client       *clientv3.Client
}

// NewService is the Service's constructor; fx hands it the lock item and
// the etcd client that fxlock.Module provides.
func NewService(criticalLock MyCriticalLock, client *clientv3.Client) *Service {
	return &Service{criticalLock: criticalLock, client: client}
}

// DoSomethingCritical holds the lock while it counts one more run: a read,
// then a write of the value plus one, which two replicas at once would get
// wrong. Do releases the lock when the work returns, also on panic, and
// cancels the work's ctx if the lock is lost meanwhile.
func (s *Service) DoSomethingCritical(ctx context.Context) (int64, error) {
	var runs int64
	err := s.criticalLock.Do(ctx, func(ctx context.Context) error {
		var err error
		runs, err = s.countRun(ctx)
		return err
	})
	return runs, err
}

// countRun adds one to counterKey and returns the new count.
func (s *Service) countRun(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, counterKey)
	if err != nil {
		return 0, err
	}
	var n int64
	if len(resp.Kvs) == 1 {
		if n, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
			return 0, fmt.Errorf("%s holds %q: %w", counterKey, resp.Kvs[0].Value, err)
		}
	}
	_, err = s.client.Put(ctx, counterKey, strconv.FormatInt(n+1, 10))
	return n + 1, err
}
