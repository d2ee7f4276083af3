package main

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Variants are the sub-benchmark names compared: brokerlock against
// etcd's own recipe, "mutex" (concurrency.Mutex) or "election"
// (concurrency.Election), which share one column.
const (
	ours          = "brokerlock"
	theirs        = "mutex"
	theirElection = "election"
	limit         = "limit" // the physical limit of a scenario (Contended8/limit)
)

// result is one metric of one benchmark run.
type result struct {
	scenario string // benchmark name without "Benchmark", variant and -procs
	variant  string // ours, theirs or limit
	unit     string // "ns/op", "handoffs/s", ...
	value    float64
}

// procsSuffix is the -GOMAXPROCS suffix go test adds to benchmark names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output and returns the metrics of every
// benchmark line of a brokerlock or mutex sub-benchmark; other lines are
// skipped. failed reports whether the output says that something failed
// (a FAIL line or a panic).
func parse(r io.Reader) (results []result, failed bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		failed = failed || isFailure(line)
		results = append(results, parseLine(line)...)
	}
	return results, failed, sc.Err()
}

// isFailure: go test's "FAIL pkg", "--- FAIL: name", or a panic.
func isFailure(line string) bool {
	return strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") ||
		strings.HasPrefix(line, "panic:")
}

// parseLine parses "BenchmarkX/variant-2  N  v1 unit1  v2 unit2 ...".
func parseLine(line string) []result {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return nil
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return nil
	}
	scenario, variant := splitName(f[0])
	if variant == theirElection {
		variant = theirs
	}
	if variant != ours && variant != theirs && variant != limit {
		return nil
	}
	var results []result
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil
		}
		results = append(results, result{scenario: scenario, variant: variant, unit: f[i+1], value: v})
	}
	return results
}

// splitName turns "BenchmarkContended8/mutex-2" into "Contended8", "mutex".
func splitName(name string) (scenario, variant string) {
	name = procsSuffix.ReplaceAllString(strings.TrimPrefix(name, "Benchmark"), "")
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}
