//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// inForegroundOfTerminal reports whether this process's group is the
// foreground group of its controlling terminal: then the terminal sends
// Ctrl-C's SIGINT to the command as well, since it is in the same group.
func inForegroundOfTerminal() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
