// Command benchtable turns `go test -bench` output into a Markdown table
// that compares brokerlock with etcd's concurrency.Mutex.
//
// Every benchmark is expected to have two sub-benchmarks, ".../brokerlock"
// and ".../mutex". For every scenario and metric the table shows the
// median of each (over -count runs), and a ratio oriented so that 1.0 or
// more means brokerlock is at least as good: mutex/brokerlock for costs
// (ns/op, B/op, allocs/op, ms, bytes, goroutines, RPCs, ...) and
// brokerlock/mutex for rates (units ending in "/s"). It exits with status
// 1 after the table when the input reports a failure (FAIL, panic).
//
// Usage:
//
//	go test -run '^$' -bench . ./etcdadapter | go run ./cmd/benchtable
//	go run ./cmd/benchtable bench-results/bench.txt
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// run reads the files named in args (stdin when there are none) and
// writes the table to w. When the input reports a failure it still
// writes the table of what did run, then returns an error.
func run(args []string, stdin io.Reader, w io.Writer) error {
	var results []result
	failed := false
	if len(args) == 0 {
		args = []string{"-"}
	}
	for _, name := range args {
		rs, f, err := parseFile(name, stdin)
		if err != nil {
			return err
		}
		results, failed = append(results, rs...), failed || f
	}
	if len(results) == 0 {
		return fmt.Errorf("no benchmark results with a /brokerlock or /mutex sub-benchmark in the input")
	}
	if err := writeTable(w, summarize(results)); err != nil {
		return err
	}
	if failed {
		return fmt.Errorf("the benchmark output reports a failure (FAIL or panic): see it")
	}
	return nil
}

// parseFile parses the named file, or stdin for "-".
func parseFile(name string, stdin io.Reader) ([]result, bool, error) {
	if name == "-" {
		return parse(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return parse(f)
}
