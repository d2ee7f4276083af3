package testutil

import (
	"context"
	"net"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/proxy/grpcproxy"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// GRPCProxy is etcd's gRPC proxy (what `etcd grpc-proxy start` runs), in
// this process, in front of an etcd: KV, Watch and Lease, over a client
// of its own. Unlike etcd it numbers a stream's watches itself, ignoring
// the IDs a client asks for, and it confirms a watch that joins one it
// already runs at once, ahead of creates still waiting for etcd.
type GRPCProxy struct {
	addr string
}

// StartGRPCProxy starts a proxy to endpoints; it stops when t's test
// finishes, after the clients made on it are closed (cleanups run last in,
// first out).
func StartGRPCProxy(t testing.TB, endpoints []string) *GRPCProxy {
	t.Helper()
	client := NewClientWith(t, clientConfig(endpoints))
	ctx, cancel := context.WithCancel(context.Background())
	kv, kvDone := grpcproxy.NewKvProxy(client)
	watch, watchDone := grpcproxy.NewWatchProxy(ctx, zap.NewNop(), client)
	lease, leaseDone := grpcproxy.NewLeaseProxy(ctx, client)
	t.Cleanup(func() { // after ServeGRPC's: the server has stopped
		cancel()
		<-kvDone
		<-watchDone
		<-leaseDone
	})
	addr := ServeGRPC(t, func(srv *grpc.Server) {
		pb.RegisterKVServer(srv, kv)
		pb.RegisterWatchServer(srv, watch)
		pb.RegisterLeaseServer(srv, lease)
	})
	return &GRPCProxy{addr: addr}
}

// ServeGRPC serves a gRPC server with the services register registers on
// a free loopback port, and returns its address; the server stops when
// t's test finishes (before what was cleaned up earlier).
func ServeGRPC(t testing.TB, register func(*grpc.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatalf("testutil: grpc server: listen: %v", err)
	}
	srv := grpc.NewServer()
	register(srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	return l.Addr().String()
}

// Endpoints are the proxy's client endpoints.
func (p *GRPCProxy) Endpoints() []string { return []string{p.addr} }

// NewClient returns a new client of the proxy, closed when t's test
// finishes.
func (p *GRPCProxy) NewClient(t testing.TB) *clientv3.Client {
	return NewClientWith(t, clientConfig(p.Endpoints()))
}
