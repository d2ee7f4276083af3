package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// The environment variables that choose the etcd binary of EtcdBinary.
const (
	// EtcdBinaryEnv names the etcd binary to test against; default
	// DefaultEtcdBinary.
	EtcdBinaryEnv = "BROKERLOCK_ETCD_BINARY"
	// RequireEtcdBinaryEnv set to 1 (CI sets it) makes a missing binary a
	// test failure instead of a skip.
	RequireEtcdBinaryEnv = "BROKERLOCK_REQUIRE_ETCD_BINARY"
	// DefaultEtcdBinary is where Debian's etcd-server package installs etcd.
	DefaultEtcdBinary = "/usr/bin/etcd"
)

// EtcdBinary returns the path of the installed etcd binary to test
// against: $BROKERLOCK_ETCD_BINARY, or /usr/bin/etcd. When it is not an
// executable file it fails t if $BROKERLOCK_REQUIRE_ETCD_BINARY is 1, and
// otherwise skips t, saying how to install one.
func EtcdBinary(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EtcdBinaryEnv)
	if path == "" {
		path = DefaultEtcdBinary
	}
	if _, err := exec.LookPath(path); err != nil {
		msg := "no etcd binary at " + path + " (" + err.Error() + "): install one with " +
			"`apt-get install etcd-server` (Debian/Ubuntu) or set " + EtcdBinaryEnv + " to its path"
		if os.Getenv(RequireEtcdBinaryEnv) == "1" {
			t.Fatal(msg + "; failing because " + RequireEtcdBinaryEnv + "=1")
		}
		t.Skip(msg)
	}
	return path
}
