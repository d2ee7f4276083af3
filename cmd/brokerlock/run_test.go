package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The command runs while the lock is held (it sees itself as the holder
// in `brokerlock status`), gets the lock's variables, and the lock is
// released when it exits. The connection comes from the environment.
func TestRunHoldsLockWhileCommandRuns(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["ETCD_ENDPOINTS"] = etcd.Endpoints()[0]
	c.env["BROKERLOCK_PREFIX"] = c.prefix
	c.env["BL"] = binary
	script := `echo "$BROKERLOCK_NAME $BROKERLOCK_TOKEN $BROKERLOCK_KEY $ETCD_LOCK_REV $ETCD_LOCK_KEY"; "$BL" status -o json "$BROKERLOCK_NAME"`
	r := c.start("run", "--identity", "job-1", "--label", "report v2", "report", "--", "sh", "-c", script).wait()
	wantCode(t, r, 0)
	first, rest, _ := strings.Cut(r.stdout, "\n")
	var vars [5]string
	if n := copy(vars[:], strings.Fields(first)); n != 5 {
		t.Fatalf("command printed %q, want name, token, key, rev and key", first)
	}
	var got lockJSON
	if err := json.Unmarshal([]byte(rest), &got); err != nil {
		t.Fatalf("status -o json from the command: %v\n%s", err, rest)
	}
	if got.Holder == nil {
		t.Fatalf("status from the command: free, want held by the command's brokerlock:\n%s", rest)
	}
	token := strconv.FormatInt(got.Holder.Token, 10)
	want := [5]string{"report", token, got.Holder.Key, token, got.Holder.Key}
	if vars != want {
		t.Errorf("NAME TOKEN KEY ETCD_LOCK_REV ETCD_LOCK_KEY = %q, want %q", vars, want)
	}
	if !strings.HasPrefix(got.Holder.Key, c.prefix+"report/") || got.Holder.Token <= 0 {
		t.Errorf("holder key %q token %d, want a key under %q and a positive token", got.Holder.Key, got.Holder.Token, c.prefix+"report/")
	}
	if got.Holder.Identity != "job-1" || got.Holder.Label != "report v2" {
		t.Errorf("holder identity %q label %q, want job-1 and report v2", got.Holder.Identity, got.Holder.Label)
	}
	if keys := c.lockKeys("report"); len(keys) != 0 {
		t.Errorf("keys after the command exited: %q, want none", keys)
	}
}

// run exits with its command's status, 128+N for a signal, 127 for a
// command not found and 126 for one that cannot be run.
func TestRunExitStatus(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	notExecutable := c.path("not-executable")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		command []string
		want    int
	}{
		{"exit 0", []string{"true"}, 0},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7},
		{"SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{"SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{"not found", []string{"brokerlock-no-such-command"}, exitNotFound},
		{"not executable", []string{notExecutable}, exitCannotRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.sub(t)
			r := c.run(append([]string{"run", "lock", "--"}, tc.command...)...)
			wantCode(t, r, tc.want)
			if keys := c.lockKeys("lock"); len(keys) != 0 {
				t.Errorf("keys after the command exited: %q, want none", keys)
			}
		})
	}
}

// --try on a held lock exits 75 at once without running the command and
// leaves nothing queued; on a free lock it runs the command.
func TestRunTryBusy(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	h := c.holdInProcess("nightly", "holder-1")
	r := c.run("run", "--try", "nightly", "--", "touch", c.path("ran"))
	wantCode(t, r, exitBusy)
	if exists(c.path("ran")) {
		t.Error("the command ran although the lock was busy")
	}
	if !strings.Contains(r.stderr, "holder-1") {
		t.Errorf("stderr %q does not name the holder holder-1", r.stderr)
	}
	if keys := c.lockKeys("nightly"); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys after --try: %q, want only the holder's %q", keys, h.Key())
	}
	wantCode(t, c.run("run", "--try", "free", "--", "touch", c.path("ran")), 0)
	if !exists(c.path("ran")) {
		t.Error("--try on a free lock did not run the command")
	}
}

// --timeout exits 124 without running the command and leaves nothing
// queued.
func TestRunTimeout(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	h := c.holdInProcess("nightly", "holder-1")
	start := time.Now()
	r := c.run("run", "--timeout", "300ms", "nightly", "--", "touch", c.path("ran"))
	wantCode(t, r, exitTimeout)
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("timed out after %v, before --timeout 300ms", took)
	}
	if exists(c.path("ran")) {
		t.Error("the command ran although the wait timed out")
	}
	if !strings.Contains(r.stderr, "--timeout") || !strings.Contains(r.stderr, "holder-1") {
		t.Errorf("stderr %q names neither --timeout nor the holder holder-1", r.stderr)
	}
	if keys := c.lockKeys("nightly"); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys after the timeout: %q, want only the holder's %q", keys, h.Key())
	}
}

// A lost lock (its key deleted, or its hard TTL passed) gets the command
// SIGTERM, then SIGKILL after --grace if it goes on, and run exits 70.
func TestRunLockLost(t *testing.T) {
	t.Parallel()
	termTrap := `trap 'touch "$M/term"; exit 3' TERM; ` + holderScript
	ignoreTerm := `trap '' TERM; ` + holderScript
	t.Run("key deleted", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t)
		p := c.start(c.args("run", "--keepalive", "job", "--", "sh", "-c", termTrap)...)
		waitForFile(t, c.path("started"))
		keys := c.waitForKeys("job", 1)
		if _, err := etcd.Client().Delete(testCtx(t), keys[0]); err != nil {
			t.Fatal(err)
		}
		wantLost(t, p.wait(), "SIGTERM")
		if !exists(c.path("term")) {
			t.Error("the command got no SIGTERM")
		}
	})
	t.Run("SIGKILL after grace", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t)
		p := c.start(c.args("run", "--keepalive", "--grace", "200ms", "job", "--", "sh", "-c", ignoreTerm)...)
		waitForFile(t, c.path("started"))
		wantCode(t, c.run("release", "--force", "job"), 0)
		r := p.wait()
		wantLost(t, r, "SIGKILL")
	})
	t.Run("hard TTL", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t)
		r := c.run("run", "--ttl", "500ms", "job", "--", "sh", "-c", termTrap)
		wantLost(t, r, "SIGTERM")
		if !exists(c.path("term")) {
			t.Error("the command got no SIGTERM")
		}
	})
}

// wantLost checks that r is run's exit after a loss, and that its stderr
// tells of it and mentions signal.
func wantLost(t *testing.T, r result, signal string) {
	t.Helper()
	wantCode(t, r, exitLockLost)
	for _, want := range []string{"lost lock", signal} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
}

// With --keepalive the lock outlives its TTL while the command runs.
func TestRunKeepAlive(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.run("run", "--keepalive", "--ttl", "1s", "job", "--", "sleep", "1.5")
	wantCode(t, r, 0)
}

// SIGTERM, SIGINT and SIGHUP to brokerlock reach the command; run exits
// with the command's status once it exited, and releases the lock.
func TestRunForwardsSignals(t *testing.T) {
	t.Parallel()
	trap := `trap 'touch "$M/got"; exit 0' TERM INT HUP; ` + holderScript
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			p := c.start(c.args("run", "job", "--", "sh", "-c", trap)...)
			waitForFile(t, c.path("started"))
			p.signal(sig)
			wantCode(t, p.wait(), 0)
			if !exists(c.path("got")) {
				t.Errorf("the command did not get %v", sig)
			}
		})
	}
	t.Run("command dies of it", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t)
		p := c.start(c.args("run", "job", "--", "sh", "-c", `touch "$M/started"; exec sleep 60`)...)
		waitForFile(t, c.path("started"))
		p.signal(syscall.SIGTERM)
		wantCode(t, p.wait(), 128+int(syscall.SIGTERM))
	})
}

// A signal while waiting for the lock gives up: exit 128+N, the command
// not run, the waiter's key removed.
func TestRunSignalWhileWaiting(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	h := c.holdInProcess("job", "holder-1")
	p := c.start(c.args("run", "--timeout", "0", "job", "--", "touch", c.path("ran"))...)
	c.waitForKeys("job", 2)
	p.signal(syscall.SIGTERM)
	r := p.wait()
	wantCode(t, r, 128+int(syscall.SIGTERM))
	if exists(c.path("ran")) {
		t.Error("the command ran although brokerlock was stopped while waiting")
	}
	if keys := c.lockKeys("job"); len(keys) != 1 || keys[0] != h.Key() {
		t.Errorf("keys after giving up: %q, want only the holder's %q", keys, h.Key())
	}
}
