package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// The command runs while brokerlock leads (status shows the value),
// gets the term's variables, and brokerlock resigns when it exits.
func TestElectRunsCommandWhileLeading(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["BL"] = binary
	c.env["ETCD_ENDPOINTS"] = etcd.Endpoints()[0]
	c.env["BROKERLOCK_PREFIX"] = c.prefix
	script := `echo "$BROKERLOCK_VALUE $BROKERLOCK_TOKEN $BROKERLOCK_KEY"; "$BL" status -o json "$BROKERLOCK_NAME"`
	r := c.run("elect", "scheduler", "pod-1", "--", "sh", "-c", script)
	wantCode(t, r, 0)
	first, rest, _ := strings.Cut(r.stdout, "\n")
	var got lockJSON
	if err := json.Unmarshal([]byte(rest), &got); err != nil || got.Holder == nil {
		t.Fatalf("status -o json from the command: %v\n%s", err, rest)
	}
	want := "pod-1 " + strconv.FormatInt(got.Holder.Token, 10) + " " + got.Holder.Key
	if first != want || got.Holder.Value != "pod-1" {
		t.Errorf("VALUE TOKEN KEY = %q and status value %q, want %q and %q", first, got.Holder.Value, want, "pod-1")
	}
	if keys := c.lockKeys("scheduler"); len(keys) != 0 {
		t.Errorf("keys after the command exited: %q, want none", keys)
	}
}

// elect --listen prints "no leader", each leader's value as it changes,
// and "no leader" again, until a signal ends it.
func TestElectListen(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	l := c.start(c.args("elect", "--listen", "scheduler")...)
	waitForOutput(t, l, "no leader\n")
	leader := c.start(c.args("elect", "scheduler", "pod-1", "--", "sh", "-c", holderScript)...)
	waitForOutput(t, l, "no leader\npod-1\n")
	c.stopHolder()
	wantCode(t, leader.wait(), 0)
	waitForOutput(t, l, "no leader\npod-1\nno leader\n")
	l.signal(syscall.SIGTERM)
	wantCode(t, l.wait(), exitSignalBase+int(syscall.SIGTERM))
}

// When the leader's key is deleted, the command gets SIGTERM and elect
// exits 70.
func TestElectLossStopsCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	p := c.start(c.args("elect", "scheduler", "pod-1", "--", "sh", "-c", `trap 'exit 3' TERM; `+holderScript)...)
	waitForFile(t, c.path("started"))
	keys := c.lockKeys("scheduler")
	if len(keys) != 1 {
		t.Fatalf("keys of the election: got %q, want the leader's", keys)
	}
	if _, err := etcd.Client().Delete(testCtx(t), keys[0]); err != nil {
		t.Fatal(err)
	}
	r := p.wait()
	wantCode(t, r, exitLockLost)
	if !strings.Contains(r.stderr, `lost leadership of election "scheduler"`) {
		t.Errorf("stderr: got %q, want it to say the leadership was lost", r.stderr)
	}
}

// Real `etcdctl elect` and brokerlock elect are one election, both ways.
func TestElectInteropWithEtcdctl(t *testing.T) {
	t.Parallel()
	etcdctl := etcdctlBinary(t)
	c := newCLI(t)
	pfx := strings.TrimSuffix(etcdadapter.LockPrefix(c.prefix, "scheduler"), "/")
	listen := c.start(c.args("elect", "--listen", "scheduler")...)
	waitForOutput(t, listen, "no leader\n")
	theirs := startEtcdctl(t, etcdctl, "elect", pfx, "from-etcdctl")
	waitForOutput(t, listen, "no leader\nfrom-etcdctl\n")
	ours := c.start(c.args("elect", "scheduler", "from-brokerlock", "--", "sh", "-c", holderScript)...)
	c.waitForKeys("scheduler", 2)
	stopEtcdctl(t, theirs)
	waitForFile(t, c.path("started"))
	observer := startEtcdctl(t, etcdctl, "elect", "-l", pfx)
	waitFor(t, "etcdctl elect -l to print our value", func() bool {
		return strings.Contains(observer.stdout.String(), "from-brokerlock")
	})
	c.stopHolder()
	wantCode(t, ours.wait(), 0)
	stopEtcdctl(t, observer)
	listen.signal(syscall.SIGTERM)
	listen.wait()
}

// etcdctlBinary finds etcdctl; without it the test is skipped, saying so,
// unless BROKERLOCK_REQUIRE_ETCD_BINARY is set (CI installs it).
func etcdctlBinary(t *testing.T) string {
	path, err := exec.LookPath("etcdctl")
	switch {
	case err == nil:
		return path
	case os.Getenv("BROKERLOCK_REQUIRE_ETCD_BINARY") != "":
		t.Fatalf("etcdctl not found (BROKERLOCK_REQUIRE_ETCD_BINARY is set): %v", err)
	}
	t.Skipf("etcdctl not found (apt-get install etcd-client): %v", err)
	return ""
}

// startEtcdctl runs etcdctl against the test's etcd until stopEtcdctl.
func startEtcdctl(t *testing.T, etcdctl string, args ...string) *proc {
	p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(etcdctl, append([]string{"--endpoints=" + etcd.Endpoints()[0]}, args...)...)
	p.cmd.Env = append(os.Environ(), "ETCDCTL_API=3")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start etcdctl %v: %v", args, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// stopEtcdctl interrupts etcdctl, which resigns (or stops observing) and
// exits.
func stopEtcdctl(t *testing.T, p *proc) {
	t.Helper()
	p.signal(syscall.SIGINT)
	p.wait()
}

// waitForOutput waits until p's standard output is exactly want.
func waitForOutput(t *testing.T, p *proc, want string) {
	t.Helper()
	waitFor(t, "output "+strconv.Quote(want), func() bool { return p.stdout.String() == want })
}
