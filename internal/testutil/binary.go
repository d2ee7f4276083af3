package testutil

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Binary is an etcd server process that StartBinary started from an
// installed etcd binary: an older release than the embedded one, say.
type Binary struct {
	spec   memberSpec
	cmd    *exec.Cmd
	log    *tailBuffer   // the process's stderr, for error messages
	exited chan struct{} // closed once the process has exited
}

// StartBinary starts the etcd binary at path as a single member on free
// loopback ports with its data in a directory of t's, waits until it
// serves clients, and when t's test finishes stops it (SIGTERM, SIGKILL
// after 10s) and removes its data.
func StartBinary(t testing.TB, path string) *Binary {
	t.Helper()
	dir := t.TempDir() // removed after the Cleanup below ran
	var b *Binary
	t.Cleanup(func() {
		if b != nil {
			if err := b.stop(); err != nil {
				t.Error(err)
			}
		}
	})
	var err error
	for range startAttempts {
		if b, err = startBinary(path, filepath.Join(dir, "data")); !isAddrInUse(err) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startBinary starts the process on fresh ports and waits until it is
// ready; on failure it has stopped it and removed its data.
func startBinary(path, dir string) (*Binary, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	b := &Binary{spec: newMemberSpec("binary", dir, ports[0], ports[1]),
		log: &tailBuffer{}, exited: make(chan struct{})}
	b.cmd = exec.Command(path, b.args()...)
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("testutil: start %s: %w", path, err)
	}
	go func() {
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	if err := b.waitReady(); err != nil {
		return nil, errors.Join(err, b.stop())
	}
	return b, nil
}

// args are the flags of a single-member cluster on b's ports and data
// dir, logging errors only; every etcd release since 3.4 takes them.
func (b *Binary) args() []string {
	s := b.spec
	return []string{
		"--name", s.name, "--data-dir", s.dir,
		"--listen-client-urls", s.clientURL.String(), "--advertise-client-urls", s.clientURL.String(),
		"--listen-peer-urls", s.peerURL.String(), "--initial-advertise-peer-urls", s.peerURL.String(),
		"--initial-cluster", s.name + "=" + s.peerURL.String(),
		"--initial-cluster-token", s.clusterToken, "--initial-cluster-state", "new",
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", logLevel,
		"--enable-pprof", // benchmarks ask it for a GC (/debug/pprof/heap?gc=1)
	}
}

// waitReady waits until the server answers a Status request, the process
// exits, or readyTimeout passes.
func (b *Binary) waitReady() error {
	cli, err := newClient(b.Endpoints())
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		_, err := cli.Status(sctx, b.Endpoints()[0])
		scancel()
		if err == nil {
			return nil
		}
		select {
		case <-b.exited:
			return fmt.Errorf("testutil: etcd binary exited while starting (%s); its output:\n%s", b.cmd.ProcessState, b.log)
		case <-ctx.Done():
			return fmt.Errorf("testutil: etcd binary not ready after %v: %w; its output:\n%s", readyTimeout, err, b.log)
		case <-time.After(pollInterval):
		}
	}
}

// binaryStopGrace is how long a stopped process may take to exit after
// SIGTERM before it is killed.
const binaryStopGrace = 10 * time.Second

// stop ends the process and removes its data directory.
func (b *Binary) stop() error {
	select {
	case <-b.exited:
	default:
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(binaryStopGrace):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	return removeDir(b.spec.dir)
}

// Endpoints returns the server's client URLs, "http://127.0.0.1:PORT".
func (b *Binary) Endpoints() []string {
	return []string{b.spec.clientURL.String()}
}

// NewClient returns a new client to the server, closed when t's test
// finishes.
func (b *Binary) NewClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return NewClientWith(t, ClientConfig(b.Endpoints()))
}
