package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"
)

// startRedis starts redis-server with the append-only file, fsynced
// every second (Redis's own recommendation), and no RDB snapshots.
func startRedis(dir string) (*system, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	port := ports[0]
	addr := loopback(port)
	data := filepath.Join(dir, "redis")
	if err := mkdir(data); err != nil {
		return nil, err
	}
	cmd, err := startServer(dir, "redis", func() error { return redisReady(addr) }, "redis-server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", data,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
	if err != nil {
		return nil, fmt.Errorf("%w (apt-get install redis-server)", err)
	}
	return &system{name: "Redis", server: cmd, stop: func() { stopProcess(cmd) },
		newClient: func() (client, error) { return newRedisClient(addr), nil }}, nil
}

func redisReady(addr string) error {
	c := newRedisClient(addr)
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.rdb.Ping(ctx).Err()
}

// redisClient is one connection pool; its locks are bsm/redislock's,
// retried every millisecond while held (no queue: no FIFO, no fencing).
type redisClient struct {
	rdb    *redis.Client
	locker *redislock.Client
}

func newRedisClient(addr string) *redisClient {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	return &redisClient{rdb: rdb, locker: redislock.New(rdb)}
}

func (r *redisClient) lock(ctx context.Context, id string) (func(context.Context) error, error) {
	l, err := r.locker.Obtain(ctx, "peers:"+id, 10*time.Second,
		&redislock.Options{RetryStrategy: redislock.LinearBackoff(time.Millisecond)})
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}

func (r *redisClient) close() error { return r.rdb.Close() }
