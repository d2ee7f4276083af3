package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// usageCases are command lines that are usage errors, and what their
// message must say (the flag and the value at fault). None reaches etcd:
// their endpoint does not exist.
var usageCases = []struct {
	args []string
	want string
}{
	{[]string{"run"}, "missing NAME and COMMAND"},
	{[]string{"run", "job"}, `missing COMMAND after NAME "job"`},
	{[]string{"run", "job", "--"}, `missing COMMAND after NAME "job"`},
	{[]string{"run", "a", "b", "--", "true"}, `exactly one NAME before --, got ["a" "b"]`},
	{[]string{"run", "--", "job", "true"}, "exactly one NAME before --"},
	{[]string{"run", "", "--", "true"}, `NAME ""`},
	{[]string{"run", "--ttl", "abc", "job", "--", "true"}, `--ttl "abc"`},
	{[]string{"run", "--ttl", "0", "job", "--", "true"}, `--ttl "0": want between 1ms and`},
	{[]string{"run", "--ttl", "300y", "job", "--", "true"}, `--ttl "300y"`},
	{[]string{"run", "--timeout", "-1s", "job", "--", "true"}, `--timeout "-1s": want 0 (no limit) or more`},
	{[]string{"run", "--grace", "soon", "job", "--", "true"}, `--grace "soon"`},
	{[]string{"run", "--label", strings.Repeat("x", brokerlock.MaxLabel+1), "job", "--", "true"}, "--label"},
	{[]string{"run", "--bogus", "job", "--", "true"}, "unknown flag: --bogus"},
	{[]string{"run", "job", "ls", "-l"}, "the command and its flags go after --"},
	{[]string{"status"}, "want one non-empty NAME"},
	{[]string{"status", "a", "b"}, "want one non-empty NAME"},
	{[]string{"status", "-o", "yaml", "job"}, `--output "yaml"`},
	{[]string{"list", "extra"}, `takes no arguments, got ["extra"]`},
	{[]string{"release", "job"}, "refusing without --force"},
	{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	{[]string{"--dial-timeout", "forever", "status", "job"}, `--dial-timeout "forever"`},
	{[]string{"--command-timeout", "0", "status", "job"}, `--command-timeout "0"`},
	{[]string{"--endpoints", " , ", "status", "job"}, `--endpoints " , "`},
	{[]string{"--user", "bob", "status", "job"}, `--user "bob": no password`},
	{[]string{"--user", ":pw", "status", "job"}, "--user: want NAME or NAME:PASSWORD"},
	{[]string{"--cert", "c.pem", "status", "job"}, `--cert "c.pem" and --key ""`},
	{[]string{"--cacert", "/nonexistent/ca.pem", "status", "job"}, `--cacert "/nonexistent/ca.pem"`},
	{[]string{"dev", "--listen", "nope"}, `--listen "nope"`},
}

// noEtcdFlag is an endpoint where no etcd listens: usage errors must
// come before any connection.
const noEtcdFlag = "--endpoints=127.0.0.1:1"

// Usage errors exit 64 with a message naming the flag and the value, and
// where to find help; from the binary.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, tc := range usageCases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := c.sub(t).start(append([]string{noEtcdFlag}, tc.args...)...).wait()
			checkUsageError(t, r, tc.want)
		})
	}
}

// The same usage errors through run, in this process.
func TestUsageErrorsInProcess(t *testing.T) {
	for _, env := range []string{"ETCDCTL_PASSWORD", "BROKERLOCK_PASSWORD", "ETCDCTL_USER", "ETCDCTL_CERT", "ETCDCTL_KEY", "ETCD_CERT", "ETCD_KEY"} {
		t.Setenv(env, "")
	}
	for _, tc := range usageCases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{noEtcdFlag}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			checkUsageError(t, result{code: code, stdout: stdout.String(), stderr: stderr.String()}, tc.want)
		})
	}
}

func checkUsageError(t *testing.T, r result, want string) {
	t.Helper()
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--help' for usage") {
		t.Errorf("stderr %q: want it to contain %q and where to find help", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// Every help text lists the exit statuses; run's also the variables its
// command gets. From the binary and in this process.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"status", "--help"}, {"list", "--help"}, {"release", "--help"}, {"dev", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := c.sub(t).start(args...).wait()
			var stdout, stderr bytes.Buffer
			inProcess := run(args, strings.NewReader(""), &stdout, &stderr)
			wantCode(t, r, 0)
			if inProcess != 0 || stdout.String() != r.stdout {
				t.Errorf("in process: exit %d and %d bytes of help, want 0 and the binary's %d", inProcess, stdout.Len(), len(r.stdout))
			}
			for _, ec := range exitCodes {
				if !strings.Contains(r.stdout, "  "+ec.code+" ") {
					t.Errorf("help does not list exit status %s", ec.code)
				}
			}
		})
	}
	r := c.start("run", "--help").wait()
	for _, want := range []string{"BROKERLOCK_TOKEN", "BROKERLOCK_KEY", "BROKERLOCK_NAME", "--grace", "--keepalive"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run --help does not mention %s", want)
		}
	}
}

// Every exit status constant is in the documented table.
func TestExitCodesDocumented(t *testing.T) {
	for _, code := range []int{exitUsage, exitUnavailable, exitLockLost, exitBusy, exitTimeout, exitCannotRun, exitNotFound} {
		if want := fmt.Sprintf("\n  %-6d ", code); !strings.Contains(exitCodesHelp(), want) {
			t.Errorf("exit status %d is not documented:\n%s", code, exitCodesHelp())
		}
	}
}
