package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

var (
	// etcd is the embedded etcd every test shares; each test has its own
	// key prefix.
	etcd *testutil.Etcd
	// binary is the brokerlock binary built for the tests (with -race when
	// the tests run with it).
	binary string
)

// TestMain builds the binary, starts etcd, runs the tests, and then, if
// they passed, checks that no goroutine was leaked.
func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "brokerlock-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "brokerlock")
	if err := buildBinary(binary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if etcd, err = testutil.StartEtcd(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	etcd.Stop()
	if code == 0 && etcd.StopErr() != nil {
		code = 1
	}
	if code == 0 {
		if err := testutil.FindLeaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%v\n", err)
			code = 1
		}
	}
	return code
}

// buildBinary builds this package into out with the go command that runs
// the tests (go test puts its GOROOT/bin first in PATH).
func buildBinary(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find the go command: %w", err)
	}
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", cmd, err, &output)
	}
	return nil
}
