package testutil

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// member is one embedded etcd server that can be stopped and started again
// with the same spec (ports and data dir).
type member struct {
	spec     memberSpec
	etcd     *embed.Etcd  // nil while stopped
	stopping *atomic.Bool // set when the current run is being stopped
}

// launch starts the server without waiting for it to be ready (a cluster
// member can only become ready once a quorum runs).
func (m *member) launch() error {
	stopping := new(atomic.Bool)
	lg, err := serverLogger(stopping)
	if err != nil {
		return fmt.Errorf("testutil: build logger: %w", err)
	}
	e, err := embed.StartEtcd(m.spec.embedConfig(lg))
	if err != nil {
		return fmt.Errorf("testutil: start etcd member %s: %w", m.spec.name, err)
	}
	m.etcd, m.stopping = e, stopping
	return nil
}

// waitReady waits until the launched server serves clients. On failure it
// stops the server.
func (m *member) waitReady(timeout time.Duration) error {
	e := m.etcd
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		m.stop(true)
		return fmt.Errorf("testutil: etcd member %s failed while starting: %w", m.spec.name, err)
	case <-timer.C:
		m.stop(true)
		return fmt.Errorf("testutil: etcd member %s not ready after %v", m.spec.name, timeout)
	}
}

// running reports whether the server is started.
func (m *member) running() bool { return m.etcd != nil }

// id returns the server's member ID; the member must be running.
func (m *member) id() uint64 { return uint64(m.etcd.Server.MemberID()) }

// stop shuts the server down and returns once it has fully stopped: its
// raft loop has exited (StopNotify) and all its serving goroutines are gone
// (Err is closed). A graceful stop first hands leadership to a peer, as etcd
// does on SIGTERM; a hard one does not, so the peers must elect a new leader
// after an election timeout, as when a process is killed. Stopping a
// stopped member does nothing.
func (m *member) stop(hard bool) error {
	e := m.etcd
	if e == nil {
		return nil
	}
	m.etcd = nil
	m.stopping.Store(true)
	if hard || !isClosed(e.Server.ReadyNotify()) {
		// Also needed when not ready: embed.Close first waits for the
		// client servers, which only start once the server is ready or
		// stopping, so Close alone would hang forever.
		e.Server.HardStop()
	}
	e.Close() // synchronous: stops servers, raft, listeners, handlers
	return waitStopped(m.spec.name, e)
}

// waitStopped checks that the closed e has fully stopped.
func waitStopped(name string, e *embed.Etcd) error {
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.StopNotify():
	case <-timer.C:
		return fmt.Errorf("testutil: etcd member %s still running %v after Close", name, stopTimeout)
	}
	for range e.Err() { // closed by Close once every handler returned
	}
	return nil
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// removeDir removes dir, reporting a failure as an error.
func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("testutil: remove %s: %w", dir, err)
	}
	return nil
}
