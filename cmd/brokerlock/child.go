package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// releaseTimeout bounds the release after the command exited; it runs on
// a context of its own, so it happens even when brokerlock's is done.
const releaseTimeout = 10 * time.Second

// tenure is what a command runs under: a lock's *brokerlock.Hold
// (run) or an election's *brokerlock.Term (elect).
type tenure interface {
	Key() string
	Token() int64
	Done() <-chan struct{}
	Err() error
}

// held is a tenure and how to end it: Hold.Release or Term.Resign.
type held struct {
	tenure
	end func(ctx context.Context) error
}

func heldLock(h *brokerlock.Hold) held           { return held{h, h.Release} }
func heldTerm(t *brokerlock.Term) held           { return held{t, t.Resign} }
func (h held) release(ctx context.Context) error { return release(ctx, h.end) }

// runHeld runs the command while h lasts, then ends h.
func (a *app) runHeld(ctx context.Context, h held, spec runSpec, sigs <-chan os.Signal) error {
	select {
	case <-h.Done(): // lost before the command could start
		_ = h.release(ctx)
		return withCode(exitLockLost, fmt.Errorf("lost %s before running the command: %w", spec.what(), h.Err()))
	default:
	}
	child, err := a.startChild(h, spec)
	if err != nil {
		return errors.Join(err, h.release(ctx))
	}
	s := &supervisor{app: a, spec: spec, hold: h, child: child, sigs: sigs}
	status, lost := s.wait()
	return a.afterChild(spec, status, lost, h.release(ctx))
}

// startChild starts the command with the lock's (or term's) variables in
// its environment.
func (a *app) startChild(h held, spec runSpec) (*exec.Cmd, error) {
	cmd := exec.Command(spec.command[0], spec.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	token := strconv.FormatInt(h.Token(), 10)
	cmd.Env = append(os.Environ(),
		"BROKERLOCK_NAME="+spec.name, "BROKERLOCK_KEY="+h.Key(), "BROKERLOCK_TOKEN="+token,
		"ETCD_LOCK_KEY="+h.Key(), "ETCD_LOCK_REV="+token)
	if spec.election {
		cmd.Env = append(cmd.Env, "BROKERLOCK_VALUE="+spec.value)
	}
	if err := cmd.Start(); err != nil {
		code := exitCannotRun
		if errors.Is(err, exec.ErrNotFound) {
			code = exitNotFound
		}
		return nil, withCode(code, fmt.Errorf("run %s: %w", commandString(spec.command), err))
	}
	return cmd, nil
}

// release calls end (a Release or Resign) on a context of its own bounded
// by releaseTimeout: also when ctx is done.
func release(ctx context.Context, end func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return end(ctx)
}

// afterChild picks the exit status once the command exited with status and
// the lock was released with releaseErr.
func (a *app) afterChild(spec runSpec, status int, lost bool, releaseErr error) error {
	switch {
	case lost || errors.Is(releaseErr, brokerlock.ErrLockLost):
		return withCode(exitLockLost, fmt.Errorf("%s was lost while the command ran (it exited with status %d)",
			spec.what(), status))
	case releaseErr != nil:
		fmt.Fprintf(a.stderr, "brokerlock: warning: %v (etcd frees it when its lease ends)\n", releaseErr)
	}
	return withCode(status, nil)
}

// exitStatus is the shell's status of a finished process: its exit code,
// or 128+N when signal N killed it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitSignalBase + int(ws.Signal())
	}
	return ps.ExitCode()
}
