package fxlock_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

var etcd *testutil.Etcd

// One embedded etcd for the package; goleak (testutil.FindLeaks) checks
// after the tests that stopping the apps stopped every goroutine.
func TestMain(m *testing.M) { testutil.Main(m, &etcd) }
