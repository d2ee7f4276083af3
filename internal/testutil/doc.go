// Package testutil runs real, embedded etcd servers for the project's tests.
//
// Nothing here needs an installed etcd binary and nothing mocks etcd: every
// server is go.etcd.io/etcd/server/v3/embed listening on free 127.0.0.1
// ports with its data in a temporary directory, logging only errors.
//
// A test package normally shares one single-member server for all its tests
// and checks for leaked goroutines once they all passed:
//
//	var etcd *testutil.Etcd
//
//	func TestMain(m *testing.M) { testutil.Main(m, &etcd) }
//
//	func TestSomething(t *testing.T) {
//		cli := etcd.NewClient(t)
//		...
//	}
//
// Reliability tests use StartCluster for a multi-member cluster whose
// members they stop (StopMember gracefully, KillMember abruptly) and
// restart (RestartMember) on the same ports and data.
package testutil
