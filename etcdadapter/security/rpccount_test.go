package security_test

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// gRPC methods the tests count.
const (
	methodTxn          = "/etcdserverpb.KV/Txn"
	methodRange        = "/etcdserverpb.KV/Range"
	methodAuthenticate = "/etcdserverpb.Auth/Authenticate"
	methodKeepAlive    = "/etcdserverpb.Lease/LeaseKeepAlive"
)

// rpcCounter counts the gRPC calls and streams a client makes, by method,
// each retry of clientv3's own included, and the requests sent on streams.
type rpcCounter struct {
	mu      sync.Mutex
	n       map[string]int
	changed chan struct{} // closed and replaced on every add
}

func (c *rpcCounter) add(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[method]++
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// sent names the count of requests sent on streams of method.
func sent(method string) string { return method + " (sent)" }

// waitFor waits until key was counted n times, or ctx ends; it returns
// the count then.
func (c *rpcCounter) waitFor(ctx context.Context, key string, n int) int {
	for {
		c.mu.Lock()
		got := c.n[key]
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		c.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got
		}
	}
}

// count returns how many calls of method were made so far.
func (c *rpcCounter) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

// dialOptions make a client report its calls to c.
func (c *rpcCounter) dialOptions() []grpc.DialOption {
	unary := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		c.add(method)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	stream := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
		streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		c.add(method)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		return countedStream{ClientStream: cs, count: func() { c.add(sent(method)) }}, nil
	}
	return []grpc.DialOption{grpc.WithChainUnaryInterceptor(unary), grpc.WithChainStreamInterceptor(stream)}
}

// countedAdapter is tn.adapter whose client's calls are counted.
func (tn tenant) countedAdapter(t *testing.T, prefix string) (*etcdadapter.Adapter, *rpcCounter) {
	t.Helper()
	c := &rpcCounter{}
	cfg := tn.srv.ClientConfig(t)
	cfg.Username, cfg.Password = tn.user, tn.password
	cfg.DialOptions = c.dialOptions()
	cli := testutil.NewClientWith(t, cfg)
	a := etcdadapter.New(cli, etcdadapter.WithPrefix(prefix))
	t.Cleanup(func() { _ = a.Close() })
	return a, c
}

// countedStream counts the requests sent on it.
type countedStream struct {
	grpc.ClientStream
	count func()
}

func (s countedStream) SendMsg(m any) error {
	s.count()
	return s.ClientStream.SendMsg(m)
}
