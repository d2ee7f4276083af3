package testutil

import (
	"fmt"
	"os"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Etcd is one running embedded single-member etcd server on free loopback
// ports, with its data in a temporary directory and logging only errors.
// Its methods are safe for concurrent use.
type Etcd struct {
	m   member
	dir string

	mu       sync.Mutex
	client   *clientv3.Client // shared client, created on first use
	stopped  bool
	stopOnce sync.Once
	stopErr  error
}

// StartEtcd starts a single-member etcd and waits until it serves clients.
// It needs no *testing.T so it can be used from TestMain; the caller must
// call Stop.
func StartEtcd() (*Etcd, error) {
	dir, err := os.MkdirTemp("", "testutil-etcd-")
	if err != nil {
		return nil, fmt.Errorf("testutil: make etcd dir: %w", err)
	}
	e := &Etcd{dir: dir}
	if err := e.start(); err != nil {
		_ = removeDir(dir)
		return nil, err
	}
	return e, nil
}

// start launches the member on fresh free ports, trying new ports when
// the picked ones were taken before etcd could bind them.
func (e *Etcd) start() error {
	var err error
	for range startAttempts {
		var ports []int
		if ports, err = freePorts(2); err != nil {
			return err
		}
		e.m.spec = newMemberSpec("default", e.dir, ports[0], ports[1])
		if err = e.m.launch(); !isAddrInUse(err) {
			break
		}
	}
	if err != nil {
		return err
	}
	return e.m.waitReady(readyTimeout)
}

// Endpoints returns the server's client URLs, e.g. "http://127.0.0.1:PORT".
func (e *Etcd) Endpoints() []string {
	return []string{e.m.spec.clientURL.String()}
}

// NewClient returns a new client to this server (DialTimeout 5s) that is
// closed when t's test and its subtests finish.
func (e *Etcd) NewClient(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := newClient(e.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Client returns a client shared by all callers, created on first use and
// closed by Stop. Callers must not close it. It panics after Stop.
func (e *Etcd) Client() *clientv3.Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		panic("testutil: Etcd.Client called after Stop")
	}
	if e.client == nil {
		cli, err := newClient(e.Endpoints())
		if err != nil {
			panic(err) // clientv3.New fails only on a bad config
		}
		e.client = cli
	}
	return e.client
}

// Stop closes the shared client, stops the server, waits until it has fully
// stopped (no server goroutine left) and removes its data directory. Calls
// after the first do nothing. Errors are printed to stderr; see StopErr.
func (e *Etcd) Stop() {
	e.stopOnce.Do(func() {
		if err := e.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	})
}

// StopErr returns the error of the first Stop, or nil.
func (e *Etcd) StopErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopErr
}

// stop does the work of Stop and records its error.
func (e *Etcd) stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
	if e.client != nil {
		_ = e.client.Close()
		e.client = nil
	}
	e.stopErr = e.m.stop(false)
	if e.stopErr == nil {
		e.stopErr = removeDir(e.dir)
	}
	return e.stopErr
}
