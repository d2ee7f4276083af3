package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// status and list show a holder and a waiter of a lock held by `brokerlock
// run`, and a lock held by a key of etcdctl lock's kind, in text and JSON.
func TestStatusAndList(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	holder := c.startHolder("nightly", "--identity", "holder-1", "--label", "nightly report", "--keepalive", "--ttl", "30s")
	waiter := c.start(c.args("run", "--identity", "waiter-1", "--ttl", "20s", "nightly", "--", "touch", c.path("waiter-ran"))...)
	keys := c.waitForKeys("nightly", 2)
	rawKey := c.putForeignHolder("etcdctl-lock")
	t.Run("status text", func(t *testing.T) { checkStatusText(t, c.sub(t), keys) })
	t.Run("status json", func(t *testing.T) { checkStatusJSON(t, c.sub(t), keys) })
	t.Run("status free", func(t *testing.T) { checkStatusFree(t, c.sub(t)) })
	t.Run("list text", func(t *testing.T) { checkListText(t, c.sub(t), rawKey) })
	t.Run("list json", func(t *testing.T) { checkListJSON(t, c.sub(t), rawKey) })
	c.stopHolder()
	wantCode(t, holder.wait(), 0)
	wantCode(t, waiter.wait(), 0)
	if !exists(c.path("waiter-ran")) {
		t.Error("the waiter's command did not run after the holder's")
	}
}

// checkStatusText checks status's lines for the holder and the waiter,
// whose keys are keys.
func checkStatusText(t *testing.T, c *cli, keys []string) {
	r := c.run("status", "nightly")
	wantCode(t, r, 0)
	for _, want := range []string{
		`^nightly is held by holder-1$`, `^\s+label:\s+nightly report$`, `^\s+since:\s+\S+Z \(\d+(ms|s) ago\)$`,
		`^\s+token:\s+\d+$`, `^\s+key:\s+` + regexp.QuoteMeta(keys[0]) + `$`, `^\s+ttl:\s+30s, keep-alive`,
		`^\s+lease:\s+expires \S+Z \(in \d+s\)`, `^1 waiting, in queue order:$`,
		`^\s+1\s+waiter-1\s+\d+(ms|s) ago\s+\d+\s+20s\s+-$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(r.stdout) {
			t.Errorf("status has no line matching %s:\n%s", want, r.stdout)
		}
	}
}

// checkStatusJSON checks status -o json for the holder and the waiter.
func checkStatusJSON(t *testing.T, c *cli, keys []string) {
	got := c.statusJSON("nightly")
	if got.Name != "nightly" || got.Free || got.Holder == nil || len(got.Waiters) != 1 {
		t.Fatalf("status: got %+v, want nightly held with 1 waiter", got)
	}
	h, w := got.Holder, got.Waiters[0]
	if h.Key != keys[0] || h.Identity != "holder-1" || h.Label != "nightly report" || h.TTL != "30s" || h.TTLms != 30000 || !h.KeepAlive {
		t.Errorf("holder: got %+v, want key %s, holder-1, nightly report, 30s keep-alive", h, keys[0])
	}
	if now := time.Now(); h.AcquiredAt.IsZero() || h.AcquiredAt.After(now) || !h.Expires.After(now) {
		t.Errorf("holder acquired at %v, lease expires %v: want the past and the future of %v", h.AcquiredAt, h.Expires, now)
	}
	if w.Key != keys[1] || w.Identity != "waiter-1" || w.TTL != "20s" || w.KeepAlive || w.Token <= h.Token || !w.AcquiredAt.IsZero() {
		t.Errorf("waiter: got %+v, want key %s, waiter-1, 20s hard, a token above %d, not acquired", w, keys[1], h.Token)
	}
}

// checkStatusFree checks status of a lock nobody holds.
func checkStatusFree(t *testing.T, c *cli) {
	r := c.run("status", "nobody")
	wantCode(t, r, 0)
	if r.stdout != "nobody is free\n" {
		t.Errorf("status of a free lock: got %q, want %q", r.stdout, "nobody is free\n")
	}
	r = c.run("status", "-o", "json", "nobody")
	wantCode(t, r, 0)
	if want := `{"name":"nobody","free":true,"holders":[],"waiters":[]}`; compactJSON(t, r.stdout) != want {
		t.Errorf("status -o json of a free lock: got %s, want %s", r.stdout, want)
	}
}

// checkListText checks list's table: the foreign holder of rawKey without
// identity or time, and nightly's holder with one waiter.
func checkListText(t *testing.T, c *cli, rawKey string) {
	r := c.run("list")
	wantCode(t, r, 0)
	rows := tableRows(r.stdout)
	token := c.statusJSON("nightly").Holder.Token
	want := [][]string{
		{"NAME", "HOLDER", "SINCE", "TOKEN", "WAITERS"},
		{"etcdctl-lock", "-", "-", strconv.FormatInt(c.createRevision(rawKey), 10), "0"},
		{"nightly", "holder-1", "AGE", "ago", strconv.FormatInt(token, 10), "1"},
	}
	if len(rows) == 3 && len(rows[2]) == 6 {
		rows[2][2] = "AGE" // "12s ago": the age varies
	}
	if !equalRows(rows, want) {
		t.Errorf("list: got rows %q, want %q:\n%s", rows, want, r.stdout)
	}
}

// checkListJSON checks list -o json for both locks.
func checkListJSON(t *testing.T, c *cli, rawKey string) {
	r := c.run("list", "-o", "json")
	wantCode(t, r, 0)
	var got []lockJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("list -o json: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0].Name != "etcdctl-lock" || got[1].Name != "nightly" {
		t.Fatalf("list -o json: got %s, want etcdctl-lock and nightly", r.stdout)
	}
	if h := got[0].Holder; h == nil || h.Key != rawKey || h.Identity != "" || h.TTL != "30s" {
		t.Errorf("etcdctl-lock holder: got %+v, want key %s without identity, the lease's TTL 30s", h, rawKey)
	}
	if h := got[1].Holder; h == nil || h.Identity != "holder-1" || len(got[1].Waiters) != 1 || got[1].Waiters[0].Identity != "waiter-1" {
		t.Errorf("nightly: got %+v, want holder-1 and waiter waiter-1", got[1])
	}
}

// list says so when no lock is held under the prefix.
func TestListEmpty(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.run("list")
	wantCode(t, r, 0)
	if want := "no locks held under \"" + c.prefix + "\"\n"; r.stdout != want {
		t.Errorf("list: got %q, want %q", r.stdout, want)
	}
	r = c.run("list", "-o", "json")
	wantCode(t, r, 0)
	if r.stdout != "[]\n" {
		t.Errorf("list -o json: got %q, want %q", r.stdout, "[]\n")
	}
}

// statusJSON runs status -o json.
func (c *cli) statusJSON(name string) lockJSON {
	c.t.Helper()
	r := c.run("status", "-o", "json", name)
	wantCode(c.t, r, 0)
	var got lockJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		c.t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	return got
}

// putForeignHolder makes lock name held the way etcdctl lock holds it: an
// empty value on a 30s lease. The lease is revoked when the test ends.
func (c *cli) putForeignHolder(name string) string {
	c.t.Helper()
	cli := etcd.Client()
	lease, err := cli.Grant(testCtx(c.t), 30)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _, _ = cli.Revoke(testCtx(c.t), lease.ID) })
	key := etcdadapter.LockPrefix(c.prefix, name) + strconv.FormatInt(int64(lease.ID), 16)
	if _, err := cli.Put(testCtx(c.t), key, "", clientv3.WithLease(lease.ID)); err != nil {
		c.t.Fatal(err)
	}
	return key
}

// createRevision is key's create revision: its holder's fencing token.
func (c *cli) createRevision(key string) int64 {
	c.t.Helper()
	resp, err := etcd.Client().Get(testCtx(c.t), key)
	if err != nil || len(resp.Kvs) != 1 {
		c.t.Fatalf("get %s: %v, %d keys", key, err, len(resp.Kvs))
	}
	return resp.Kvs[0].CreateRevision
}

// tableRows splits a table's lines into fields.
func tableRows(s string) [][]string {
	var rows [][]string
	for line := range strings.Lines(s) {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

func equalRows(got, want [][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
			return false
		}
	}
	return true
}

// compactJSON is s without insignificant space.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return b.String()
}
