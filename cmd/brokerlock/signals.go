package main

import (
	"os"
	"os/signal"
	"syscall"
)

// forwardedSignals are the signals run passes on to its command, and that
// make it give up while waiting for the lock.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// notifySignals starts catching forwardedSignals.
func notifySignals() chan os.Signal {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	return sigs
}

// stopSignals restores their default handling.
func stopSignals(sigs chan os.Signal) { signal.Stop(sigs) }

// signalNumber is sig's number, for the 128+N exit status.
func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 0
}
