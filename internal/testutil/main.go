package testutil

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main runs a test package's tests against one shared embedded etcd: it
// starts an Etcd and stores it into *e, runs m.Run, stops the Etcd, and then,
// only if the tests passed, checks that no goroutine was leaked (see
// FindLeaks), printing the leaked stacks and failing if one was. It exits
// the process with the resulting code. e must not be nil. Use it as
//
//	var etcd *testutil.Etcd
//
//	func TestMain(m *testing.M) { testutil.Main(m, &etcd) }
func Main(m *testing.M, e **Etcd) {
	os.Exit(runMain(m, e))
}

// runMain does the work of Main and returns the exit code.
func runMain(m *testing.M, e **Etcd) int {
	etcd, err := StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*e = etcd
	code := m.Run()
	etcd.Stop()
	if code != 0 {
		return code
	}
	if etcd.StopErr() != nil {
		return 1
	}
	return checkLeaks()
}

// leakGrace is how long FindLeaks waits for goroutines to end by themselves.
// embed.Close gives its peer http.Server only 1s to Shutdown and never
// Closes it, so a peer connection that was busy then lingers until its 5s
// read timeout (rafthttp.ConnReadTimeout) ends it, together with the other
// member's client side of it. That is teardown in progress, not a leak, so
// it is waited out instead of ignored.
const leakGrace = 10 * time.Second

// checkLeaks prints the goroutines still running and returns 1 if there
// are any, else 0.
func checkLeaks() int {
	if err := FindLeaks(); err != nil {
		fmt.Fprintf(os.Stderr, "testutil: goroutines leaked by the tests:\n%v\n", err)
		return 1
	}
	return 0
}

// FindLeaks returns an error listing the goroutines other than the current
// one and the testing framework's that are still running after waiting up
// to 10s for them to end. Call it after every etcd server and client was
// stopped; Main does.
func FindLeaks() error {
	deadline := time.Now().Add(leakGrace)
	for {
		err := goleak.Find(leakOptions()...) // retries for ~0.5s itself
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

// leakOptions returns the goleak options: the goroutines an embedded etcd
// and its clients legitimately leave running after all of them stopped.
// With etcd v3.7.3, grpc v1.83 and zap this is none: Stop and
// Client.Close end every goroutine they started (see leakGrace).
func leakOptions() []goleak.Option {
	return nil
}
