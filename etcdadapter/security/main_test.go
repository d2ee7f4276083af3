// Package security_test checks the etcd adapter against servers that
// authenticate their clients: TLS with client certificates, and etcd's own
// users and roles with least privilege. Every test starts a server of its
// own.
package security_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

func TestMain(m *testing.M) { testutil.MainNoEtcd(m) }
