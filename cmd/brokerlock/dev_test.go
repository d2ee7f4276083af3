package main

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
)

// dev serves an etcd that run and list work against, says where, and
// stops on SIGTERM; its temporary data directory is then gone, while a
// --data-dir is kept.
func TestDev(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		keep bool // --data-dir given
	}{{"temporary", false}, {"data-dir", true}} {
		keep := tc.keep
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			args := []string{"dev", "--listen", "127.0.0.1:0"}
			if keep {
				args = append(args, "--data-dir", c.path("data"))
			}
			p := c.start(args...)
			banner := regexp.MustCompile(`serving clients at (http://\S+) \(data in (\S+), `)
			var m []string
			waitFor(t, "dev's banner", func() bool { m = banner.FindStringSubmatch(p.stdout.String()); return m != nil })
			ep, dir := m[1], m[2]
			r := c.start("--endpoints", ep, "run", "demo", "--", "sh", "-c", `echo "token $BROKERLOCK_TOKEN"`).wait()
			wantCode(t, r, 0)
			if !regexp.MustCompile(`^token \d+\n$`).MatchString(r.stdout) {
				t.Errorf("run against dev printed %q, want a token", r.stdout)
			}
			r = c.start("--endpoints", ep, "list").wait()
			wantCode(t, r, 0)
			p.signal(syscall.SIGTERM)
			if r := p.wait(); r.code != 0 || r.stderr != "" {
				t.Errorf("dev after SIGTERM: exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "member")); keep != (err == nil) {
				t.Errorf("data directory %s after exit: %v; want it kept: %v", dir, err, keep)
			}
		})
	}
}
