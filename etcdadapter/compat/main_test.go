// Package compat_test runs the etcd adapter against an installed etcd
// binary, an older release than the embedded server the other tests use:
// Debian's etcd-server, etcd 3.4, by default. See testutil.EtcdBinary for
// how the binary is chosen and when a missing one skips or fails.
package compat_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

func TestMain(m *testing.M) { testutil.MainNoEtcd(m) }
