package main

import (
	"errors"
	"fmt"
	"strings"
)

// Exit statuses of brokerlock. Besides these, `brokerlock run` exits with
// its command's own status, or 128+N when the command died of signal N.
// The 64–78 codes are those of BSD's sysexits.h.
const (
	exitOK          = 0
	exitUsage       = 64  // EX_USAGE: bad flags or arguments; nothing was done
	exitUnavailable = 69  // EX_UNAVAILABLE: etcd unreachable or refused, or another error
	exitLockLost    = 70  // EX_SOFTWARE: run: the lock was lost while the command ran
	exitBusy        = 75  // EX_TEMPFAIL: run --try: someone else holds the lock
	exitTimeout     = 124 // run: --timeout passed before the lock was ours, as timeout(1)
	exitCannotRun   = 126 // run: the command was found but could not be started
	exitNotFound    = 127 // run: the command was not found
	exitSignalBase  = 128 // run: + N when the command died of signal N, or brokerlock got N while waiting
)

// exitCodes documents the statuses in help texts, in the order shown; a
// "\n" in a meaning continues it on the next line.
var exitCodes = []struct {
	code    string
	meaning string
}{
	{"0", "success; run: the command exited 0"},
	{"1-125", "run: the command's own exit status"},
	{fmt.Sprint(exitUsage), "usage error: bad flags or arguments; nothing was done (EX_USAGE)"},
	{fmt.Sprint(exitUnavailable), "etcd unreachable or refused the request, or another error\n(EX_UNAVAILABLE)"},
	{fmt.Sprint(exitLockLost), "run: the lock was lost while the command ran; the command got\nSIGTERM, then SIGKILL after --grace (EX_SOFTWARE)"},
	{fmt.Sprint(exitBusy), "run --try: someone else holds the lock; the command did not run\n(EX_TEMPFAIL)"},
	{fmt.Sprint(exitTimeout), "run: --timeout passed while waiting for the lock; the command did\nnot run (as timeout(1))"},
	{fmt.Sprint(exitCannotRun), "run: the command could not be started (not executable)"},
	{fmt.Sprint(exitNotFound), "run: the command was not found"},
	{fmt.Sprintf("%d+N", exitSignalBase), "run: the command died of signal N, or brokerlock got signal N\nwhile waiting for the lock"},
}

// exitCodesHelp is the exit status table of the help texts.
func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, c := range exitCodes {
		meaning := strings.ReplaceAll(c.meaning, "\n", "\n         ")
		fmt.Fprintf(&b, "  %-6s %s\n", c.code, meaning)
	}
	return b.String()
}

// exitError carries the exit status of a failed command. A nil err exits
// silently with code (the status of run's command).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode returns err with exit status code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageErrorf returns a usage error (exit 64).
func usageErrorf(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// codeOf returns the exit status for err. Errors without a code come from
// cobra itself (an unknown command or flag, a wrong number of arguments)
// and are usage errors: every error of brokerlock's own carries its code.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	return exitUsage
}

// silent reports whether err needs no message (run's command's status).
func silent(err error) bool {
	e, ok := errors.AsType[*exitError](err)
	return ok && e.err == nil
}
