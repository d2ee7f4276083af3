package main

import (
	"context"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// startEtcd starts one etcd member (the module's etcd, built by the
// Makefile) with etcd's default durability: it fsyncs each commit.
func startEtcd(dir, bin string) (*server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	client, peer := ports[0], ports[1]
	data := filepath.Join(dir, "etcd")
	curl, purl := "http://"+loopback(client), "http://"+loopback(peer)
	addr := loopback(client)
	cmd, err := startServer(dir, "etcd", func() error { return etcdReady(addr) }, bin,
		"--name", "peers", "--data-dir", data,
		"--listen-client-urls", curl, "--advertise-client-urls", curl,
		"--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
		"--initial-cluster", "peers="+purl, "--log-level", "error", "--enable-pprof")
	if err != nil {
		return nil, err
	}
	return &server{cmd: cmd, addr: addr}, nil
}

func etcdReady(addr string) error {
	c, err := newEtcdClient(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Status(ctx, addr)
	return err
}

func newEtcdClient(addr string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: []string{addr}, DialTimeout: 5 * time.Second})
}

// brokerlockOn: brokerlock with KeepAlive, one adapter per client.
func brokerlockOn(s *server) *system {
	return &system{name: "brokerlock", server: s.cmd, stop: func() { stopProcess(s.cmd) }, pprofURL: s.pprofURL(),
		newClient: func() (client, error) {
			c, err := newEtcdClient(s.addr)
			if err != nil {
				return nil, err
			}
			a := etcdadapter.New(c, etcdadapter.WithPrefix("peers/brokerlock/"))
			return &brokerlockClient{c: c, a: a, bl: brokerlock.New(a)}, nil
		}}
}

type brokerlockClient struct {
	c  *clientv3.Client
	a  *etcdadapter.Adapter
	bl *brokerlock.BrokerLock
}

func (b *brokerlockClient) lock(ctx context.Context, id string) (func(context.Context) error, error) {
	h, err := b.bl.Item(id, brokerlock.Options{TTL: 10 * time.Second, KeepAlive: true, Timeout: time.Minute}).Hold(ctx)
	if err != nil {
		return nil, err
	}
	return h.Release, nil
}

func (b *brokerlockClient) close() error { b.a.Close(); return b.c.Close() }

// mutexOn: etcd's concurrency.Mutex, one session per client.
func mutexOn(s *server) *system {
	return &system{name: "etcd Mutex", server: s.cmd, stop: func() {}, pprofURL: s.pprofURL(),
		newClient: func() (client, error) {
			c, err := newEtcdClient(s.addr)
			if err != nil {
				return nil, err
			}
			sess, err := concurrency.NewSession(c, concurrency.WithTTL(10))
			if err != nil {
				c.Close()
				return nil, err
			}
			return &mutexClient{c: c, s: sess}, nil
		}}
}

type mutexClient struct {
	c *clientv3.Client
	s *concurrency.Session
}

func (m *mutexClient) lock(ctx context.Context, id string) (func(context.Context) error, error) {
	mu := concurrency.NewMutex(m.s, "peers/mutex/"+id)
	if err := mu.Lock(ctx); err != nil {
		return nil, err
	}
	return mu.Unlock, nil
}

func (m *mutexClient) close() error { m.s.Close(); return m.c.Close() }
