package etcdadapter_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

var etcd *testutil.Etcd

func TestMain(m *testing.M) { testutil.Main(m, &etcd) }
