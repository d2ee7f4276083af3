package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// supervisor watches a running command: it passes signals on, and when the
// lock is lost it stops the command, SIGTERM then SIGKILL after --grace.
type supervisor struct {
	app   *app
	spec  runSpec
	hold  held
	child *exec.Cmd
	sigs  <-chan os.Signal
	kill  *time.Timer // armed once the lock is lost
}

// wait returns the command's exit status once it exited, and whether the
// lock was lost meanwhile.
func (s *supervisor) wait() (status int, lost bool) {
	exited := make(chan struct{})
	go func() {
		_ = s.child.Wait() // its status is in ProcessState
		close(exited)
	}()
	loss := s.hold.Done()
	var kill <-chan time.Time
	for {
		select {
		case <-exited:
			s.stopKillTimer()
			return exitStatus(s.child.ProcessState), lost
		case sig := <-s.sigs:
			s.forward(sig)
		case <-loss:
			loss, lost = nil, true
			kill = s.terminate()
		case <-kill:
			kill = nil
			s.killChild()
		}
	}
}

// forward passes sig on to the command, except a SIGINT that the terminal
// sent to the command as well.
func (s *supervisor) forward(sig os.Signal) {
	if sig == syscall.SIGINT && inForegroundOfTerminal() {
		return
	}
	_ = s.child.Process.Signal(sig) // fails only once it has exited
}

// terminate tells of the loss, sends SIGTERM and returns when to SIGKILL.
func (s *supervisor) terminate() <-chan time.Time {
	fmt.Fprintf(s.app.stderr, "brokerlock: lost %s while the command ran (%v): sending the command SIGTERM, SIGKILL in %v\n",
		s.spec.what(), strings.TrimPrefix(s.hold.Err().Error(), "brokerlock: "), s.spec.grace)
	_ = s.child.Process.Signal(syscall.SIGTERM)
	s.kill = time.NewTimer(s.spec.grace)
	return s.kill.C
}

// killChild kills the command that outlived --grace.
func (s *supervisor) killChild() {
	fmt.Fprintf(s.app.stderr, "brokerlock: the command still runs %v after SIGTERM (--grace): sending it SIGKILL\n", s.spec.grace)
	_ = s.child.Process.Kill()
}

func (s *supervisor) stopKillTimer() {
	if s.kill != nil {
		s.kill.Stop()
	}
}
