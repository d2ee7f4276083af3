package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// run -n 2: two commands hold a permit at once, a third --try exits 75;
// status shows 2/2 permits, -o json every holder with its limit.
func TestRunPermits(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	first := c.start(c.args("run", "-n", "2", "migrate", "--", "sh", "-c", `touch "$M/one"; while [ ! -e "$M/stop" ]; do sleep 0.02; done`)...)
	second := c.start(c.args("run", "-n", "2", "migrate", "--", "sh", "-c", `touch "$M/two"; while [ ! -e "$M/stop" ]; do sleep 0.02; done`)...)
	waitForFile(t, c.path("one"))
	waitForFile(t, c.path("two"))
	wantCode(t, c.run("run", "-n", "2", "--try", "migrate", "--", "true"), exitBusy)
	status := c.run("status", "migrate")
	if !strings.HasPrefix(status.stdout, "migrate: 2/2 permits held\n") {
		t.Errorf("status: got %q, want it to start with %q", status.stdout, "migrate: 2/2 permits held\n")
	}
	var got lockJSON
	if err := json.Unmarshal([]byte(c.run("status", "-o", "json", "migrate").stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Holders) != 2 || got.Holders[0].Limit != 2 || got.Holders[1].Limit != 2 {
		t.Errorf("status -o json holders: got %+v, want 2 with limit 2", got.Holders)
	}
	mismatch := c.run("run", "-n", "3", "--try", "migrate", "--", "true")
	wantCode(t, mismatch, exitUsage)
	if !strings.Contains(mismatch.stderr, "limit 3") || !strings.Contains(mismatch.stderr, "limit 2") {
		t.Errorf("run -n 3 while others hold -n 2: got stderr %q, want both limits named", mismatch.stderr)
	}
	c.stopHolder()
	wantCode(t, first.wait(), 0)
	wantCode(t, second.wait(), 0)
}

// run --shared: readers run together, a writer --try exits 75 while they
// do; a reader --try exits 75 while a writer holds.
func TestRunShared(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	readers := []*proc{
		c.start(c.args("run", "--shared", "snapshot", "--", "sh", "-c", `touch "$M/r1"; while [ ! -e "$M/stop" ]; do sleep 0.02; done`)...),
		c.start(c.args("run", "--shared", "snapshot", "--", "sh", "-c", `touch "$M/r2"; while [ ! -e "$M/stop" ]; do sleep 0.02; done`)...),
	}
	waitForFile(t, c.path("r1"))
	waitForFile(t, c.path("r2"))
	wantCode(t, c.run("run", "--try", "snapshot", "--", "true"), exitBusy)
	if status := c.run("status", "snapshot"); !strings.HasPrefix(status.stdout, "snapshot is held by 2 readers\n") {
		t.Errorf("status: got %q, want 2 readers", status.stdout)
	}
	c.stopHolder()
	for _, r := range readers {
		wantCode(t, r.wait(), 0)
	}
	if err := os.Remove(c.path("stop")); err != nil {
		t.Fatal(err)
	}
	writer := c.startHolder("snapshot")
	wantCode(t, c.run("run", "--shared", "--try", "snapshot", "--", "true"), exitBusy)
	c.stopHolder()
	wantCode(t, writer.wait(), 0)
}

// -n below 1, and -n with --shared, are usage errors.
func TestRunPermitsUsage(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	wantCode(t, c.run("run", "-n", "0", "x", "--", "true"), exitUsage)
	wantCode(t, c.run("run", "-n", "2", "--shared", "x", "--", "true"), exitUsage)
}

// Real `etcdctl lock` on the same key is a writer: run --shared --try
// exits 75 while it holds, and status lists a queued reader as one.
func TestRunSharedBehindEtcdctlLock(t *testing.T) {
	t.Parallel()
	etcdctl := etcdctlBinary(t)
	c := newCLI(t)
	pfx := strings.TrimSuffix(etcdadapter.LockPrefix(c.prefix, "snapshot"), "/")
	writer := startEtcdctl(t, etcdctl, "lock", pfx)
	c.waitForKeys("snapshot", 1)
	wantCode(t, c.run("run", "--shared", "--try", "snapshot", "--", "true"), exitBusy)
	reader := c.start(c.args("run", "--shared", "snapshot", "--", "true")...)
	c.waitForKeys("snapshot", 2)
	if status := c.run("status", "snapshot"); !strings.Contains(status.stdout, "(reader)") {
		t.Errorf("status with a reader queued behind etcdctl lock: got %q, want the waiter shown as a reader", status.stdout)
	}
	stopEtcdctl(t, writer)
	wantCode(t, reader.wait(), 0)
}
