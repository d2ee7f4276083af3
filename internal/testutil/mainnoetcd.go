package testutil

import (
	"os"
	"testing"
)

// MainNoEtcd is Main for a test package whose tests start their own
// servers (StartServer, StartCluster, StartBinary) and need no shared one:
// it runs m.Run and then, only if the tests passed, checks that no
// goroutine was leaked. It exits the process with the resulting code. Use
// it as
//
//	func TestMain(m *testing.M) { testutil.MainNoEtcd(m) }
func MainNoEtcd(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkLeaks()
	}
	os.Exit(code)
}
