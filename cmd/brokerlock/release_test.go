package main

import (
	"fmt"
	"strings"
	"testing"
)

// release refuses without --force; with it, it deletes the holder's key
// and says so (the holder's run exits 70 and the waiter gets the lock), and
// on a free lock it says there was nothing to release.
func TestRelease(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	holder := c.startHolder("job", "--identity", "holder-1", "--keepalive", "--grace", "0")
	waiter := c.start(c.args("run", "job", "--", "touch", c.path("waiter-ran"))...)
	keys := c.waitForKeys("job", 2)

	r := c.run("release", "job")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "--force") {
		t.Errorf("release without --force: stderr %q does not mention --force", r.stderr)
	}
	if got := c.lockKeys("job"); len(got) != 2 {
		t.Fatalf("keys after release without --force: %q, want %q", got, keys)
	}

	token := c.createRevision(keys[0])
	r = c.run("release", "--force", "job")
	wantCode(t, r, 0)
	if want := fmt.Sprintf("released job: removed key %s of holder-1 (token %d)\n", keys[0], token); r.stdout != want {
		t.Errorf("release --force: got %q, want %q", r.stdout, want)
	}
	wantLost(t, holder.wait(), "SIGTERM")
	wantCode(t, waiter.wait(), 0)
	if !exists(c.path("waiter-ran")) {
		t.Error("the waiter's command did not run after the release")
	}

	r = c.run("release", "--force", "job")
	wantCode(t, r, 0)
	if want := "job was free: nothing to release\n"; r.stdout != want {
		t.Errorf("release --force of a free lock: got %q, want %q", r.stdout, want)
	}
}
