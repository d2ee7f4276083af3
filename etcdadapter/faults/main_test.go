package faults_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

// TestMain checks, once every test passed and every cluster, client,
// adapter and proxy was stopped, that no goroutine is left running.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkLeaks()
	}
	os.Exit(code)
}

// etcdServerLeftovers are goroutines that a killed and restarted embedded
// etcd member itself sometimes leaves behind: a peer HTTP handler of the
// stopped instance blocked forever on its closed backend's lock (embed
// gives the peer server 1s to shut down and never closes it). No
// brokerlock, client or proxy code is on their stacks.
var etcdServerLeftovers = []goleak.Option{
	goleak.IgnoreAnyFunction("go.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).StorageVersion"),
}

// checkLeaks runs testutil.FindLeaks; goroutines it finds that are only
// etcdServerLeftovers are reported but do not fail the run.
func checkLeaks() int {
	err := testutil.FindLeaks()
	if err == nil {
		return 0
	}
	if rest := goleak.Find(etcdServerLeftovers...); rest != nil {
		fmt.Fprintf(os.Stderr, "faults: goroutines leaked by the tests:\n%v\n", rest)
		return 1
	}
	fmt.Fprintf(os.Stderr, "faults: warning: a stopped etcd member left goroutines of its own (not brokerlock's):\n%v\n", err)
	return 0
}
