package main

import (
	"strings"
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

// An etcd that does not answer is exit 69 after --dial-timeout, naming
// the endpoint.
func TestEtcdUnavailable(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, args := range [][]string{{"status", "job"}, {"list"}, {"release", "--force", "job"}, {"run", "job", "--", "true"},
		{"--user", "root:pw", "list"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := c.sub(t).start(append([]string{noEtcdFlag, "--dial-timeout", "300ms"}, args...)...).wait()
			wantCode(t, r, exitUnavailable)
			if !strings.Contains(r.stderr, "127.0.0.1:1") || !strings.Contains(r.stderr, "--dial-timeout") {
				t.Errorf("stderr %q names neither the endpoint nor --dial-timeout", r.stderr)
			}
		})
	}
}

// --cacert, --cert and --key, or their ETCDCTL_ and ETCD_ variables,
// connect to an etcd that wants client certificates; without them the
// connection fails with exit 69.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := testutil.StartServer(t, testutil.WithTLS())
	files := srv.Files()
	c := newCLI(t)
	ep := "--endpoints=" + srv.Endpoints()[0]
	flags := []string{ep, "--cacert", files.CA, "--cert", files.ClientCert, "--key", files.ClientKey}
	wantCode(t, c.start(append(flags, "run", "job", "--", "true")...).wait(), 0)
	wantCode(t, c.start(append(flags, "list")...).wait(), 0)
	for _, env := range []string{"ETCDCTL_", "ETCD_"} {
		c.env = map[string]string{env + "CACERT": files.CA, env + "CERT": files.ClientCert, env + "KEY": files.ClientKey}
		r := c.start(ep, "status", "job").wait()
		wantCode(t, r, 0)
		if r.stdout != "job is free\n" {
			t.Errorf("status with %s variables: got %q, want %q", env, r.stdout, "job is free\n")
		}
	}
	c.env = nil
	r := c.start(ep, "--cacert", files.CA, "--dial-timeout", "2s", "list").wait()
	wantCode(t, r, exitUnavailable)
}

// --user NAME:PASSWORD, or NAME with the password in ETCDCTL_PASSWORD or
// BROKERLOCK_PASSWORD, logs in; a wrong password is exit 69.
func TestUser(t *testing.T) {
	t.Parallel()
	srv := testutil.StartServer(t, testutil.WithAuth())
	c := newCLI(t)
	ep := "--endpoints=" + srv.Endpoints()[0]
	wantCode(t, c.start(ep, "--user", "root:"+testutil.RootPassword, "run", "job", "--", "true").wait(), 0)
	for _, env := range passwordEnv {
		c.env = map[string]string{env: testutil.RootPassword}
		wantCode(t, c.start(ep, "--user", "root", "list").wait(), 0)
	}
	c.env = map[string]string{"ETCDCTL_USER": "root", "ETCDCTL_PASSWORD": testutil.RootPassword}
	wantCode(t, c.start(ep, "list").wait(), 0)
	c.env = nil
	r := c.start(ep, "--user", "root:wrong", "list").wait()
	wantCode(t, r, exitUnavailable)
	if !strings.Contains(r.stderr, "authentication failed") {
		t.Errorf("stderr %q does not say authentication failed", r.stderr)
	}
}
