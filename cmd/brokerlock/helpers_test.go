package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Bounds of the tests' waits; generous for a loaded machine, since the
// waits poll and end as soon as the event happens.
const (
	waitTimeout = 30 * time.Second
	pollEvery   = 10 * time.Millisecond
)

// cli runs the brokerlock binary for one test, against the shared etcd
// under a key prefix of the test's own.
type cli struct {
	t      *testing.T
	prefix string
	dir    string            // for marker files
	env    map[string]string // added to the processes' environment
}

// newCLI returns a cli for t and checks, when t ends, that no key is left
// under its prefix.
func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, prefix: "clitest/" + safeName(t.Name()) + "/", dir: t.TempDir(), env: map[string]string{}}
	t.Cleanup(func() {
		if !t.Failed() {
			if keys := keysUnder(t, c.prefix); len(keys) > 0 {
				t.Errorf("keys left under %q: %q", c.prefix, keys)
			}
		}
	})
	return c
}

// sub is c for subtest t: same prefix and directory, failures reported
// to t (FailNow must run on the failing test's goroutine).
func (c *cli) sub(t *testing.T) *cli {
	cc := *c
	cc.t = t
	return &cc
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// args puts the connection flags before args.
func (c *cli) args(args ...string) []string {
	return append([]string{"--endpoints=" + etcd.Endpoints()[0], "--prefix=" + c.prefix}, args...)
}

// path is a file in the test's directory.
func (c *cli) path(name string) string { return filepath.Join(c.dir, name) }

// proc is a running brokerlock process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
}

// start starts brokerlock with exactly args (no flags added) in a process
// group of its own, so that it is never in a terminal's foreground. It is
// killed when the test ends if it still runs.
func (c *cli) start(args ...string) *proc {
	c.t.Helper()
	p := &proc{t: c.t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = c.environ()
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start %v: %v", args, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	c.t.Cleanup(p.kill)
	return p
}

// environ is the test process's environment without the variables that
// configure brokerlock, plus c.env.
func (c *cli) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD") && !strings.HasPrefix(kv, "BROKERLOCK_") {
			env = append(env, kv)
		}
	}
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	// The race detector's runtime sleeps 1s at exit by default, to catch
	// late reports from other threads; every invocation would pay it.
	env = append(env, "GORACE=atexit_sleep_ms=50 "+os.Getenv("GORACE"))
	return append(env, "M="+c.dir) // the marker directory, for the commands' scripts
}

// result is a finished process: its exit status and output.
type result struct {
	code           int
	stdout, stderr string
}

// run runs brokerlock with the connection flags and args to completion.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.start(c.args(args...)...).wait()
}

// wait waits for the process to exit and returns its result; it fails the
// test if that takes longer than waitTimeout.
func (p *proc) wait() result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitTimeout):
		p.kill()
		p.t.Fatalf("%v still running after %v; stderr:\n%s", p.cmd.Args, waitTimeout, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		p.t.Errorf("%v: the race detector found a race:\n%s", p.cmd.Args, p.stderr)
	}
	return result{code: p.cmd.ProcessState.ExitCode(), stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// kill kills the process if it still runs and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and readers at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it is true; it fails the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(pollEvery)
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// waitForFile waits until path exists.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	waitFor(t, "file "+path, func() bool { return exists(path) })
}

// testCtx is a context bounded by waitTimeout; unlike t.Context() it
// still works in cleanups.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// keysUnder lists the keys under prefix in creation order.
func keysUnder(t *testing.T, prefix string) []string {
	t.Helper()
	resp, err := etcd.Client().Get(testCtx(t), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		t.Fatalf("get %q: %v", prefix, err)
	}
	keys := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		keys[i] = string(kv.Key)
	}
	return keys
}

// lockKeys lists the keys of lock name: the holder's first.
func (c *cli) lockKeys(name string) []string {
	c.t.Helper()
	return keysUnder(c.t, etcdadapter.LockPrefix(c.prefix, name))
}

// waitForKeys waits until lock name has n keys (holder and waiters).
func (c *cli) waitForKeys(name string, n int) []string {
	c.t.Helper()
	var keys []string
	waitFor(c.t, fmt.Sprintf("lock %q to have %d keys", name, n), func() bool {
		keys = c.lockKeys(name)
		return len(keys) == n
	})
	return keys
}

// holdInProcess holds lock name from the test process with identity,
// until the test ends.
func (c *cli) holdInProcess(name, identity string) *brokerlock.Hold {
	c.t.Helper()
	a := etcdadapter.New(etcd.Client(), etcdadapter.WithPrefix(c.prefix), etcdadapter.WithIdentity(identity))
	c.t.Cleanup(func() { _ = a.Close() })
	h, err := brokerlock.New(a).Item(name, brokerlock.Options{TTL: time.Minute, KeepAlive: true}).Hold(testCtx(c.t))
	if err != nil {
		c.t.Fatalf("hold %q in the test: %v", name, err)
	}
	c.t.Cleanup(func() { _ = h.Release(context.Background()) })
	return h
}

// holderScript is a command that holds the lock until the file stop
// appears in the marker directory, after making started there.
const holderScript = `touch "$M/started"; while [ ! -e "$M/stop" ]; do sleep 0.02; done`

// startHolder runs `brokerlock run` with flags on lock name around
// holderScript and waits until its command started.
func (c *cli) startHolder(name string, flags ...string) *proc {
	c.t.Helper()
	args := append(append([]string{"run"}, flags...), name, "--", "sh", "-c", holderScript)
	p := c.start(c.args(args...)...)
	waitForFile(c.t, c.path("started"))
	return p
}

// stopHolder lets holderScript end.
func (c *cli) stopHolder() {
	c.t.Helper()
	if err := os.WriteFile(c.path("stop"), nil, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// wantCode fails the test unless r exited with want.
func wantCode(t *testing.T, r result, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}
