package testutil

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// startAttempts is how often a start is tried when a port turned out to be
// taken between picking it and binding it.
const startAttempts = 5

// freePorts returns n distinct loopback ports that were free a moment ago.
// All n listeners are held open together so the ports differ; another
// process may still take one before etcd binds it (see isAddrInUse).
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return nil, fmt.Errorf("testutil: pick free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// isAddrInUse reports whether err says a listen address was taken.
func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) ||
		(err != nil && strings.Contains(err.Error(), "address already in use"))
}

// retryAddrInUse calls launch until it does not fail because a port is
// taken, backing off between tries; a restart cannot pick other ports.
func retryAddrInUse(launch func() error) error {
	var err error
	for attempt := range startAttempts {
		if err = launch(); !isAddrInUse(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return err
}
