//go:build !unix

package main

// inForegroundOfTerminal: no process groups, so signals are always passed on.
func inForegroundOfTerminal() bool { return false }
