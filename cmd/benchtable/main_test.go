package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/brokerlock/brokerlock/etcdadapter
BenchmarkUncontended/brokerlock-2   	1000	 2000000 ns/op	 1100 allocs/op
BenchmarkUncontended/mutex-2        	1000	 1000000 ns/op	  800 allocs/op
BenchmarkUncontended/brokerlock-2   	1000	 1000000 ns/op	 1000 allocs/op
BenchmarkUncontended/brokerlock-2   	1000	 3000000 ns/op	 1200 allocs/op
BenchmarkContended8/brokerlock-2    	 100	  500000 ns/op	 2000 handoffs/s
BenchmarkContended8/mutex-2         	 100	 1000000 ns/op	 1000 handoffs/s
BenchmarkContended8/limit-2         	 100	  250000 ns/op	 4000 handoffs/s
BenchmarkOther-2                    	 100	  500000 ns/op
    bench_test.go:1: a log line
PASS
`

func TestTable(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, strings.NewReader(sample), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| Uncontended | ns/op | 2.000ms | 1.000ms | 0.50 | 3/1 |", // median of 3; mutex/ours
		"| Uncontended | allocs/op | 1100 | 800 | 0.73 | 3/1 |",    // costs: mutex/ours
		"| Contended8 | ns/op | 500.0µs | 1.000ms | 2.00 | 1/1 |",  //
		"| Contended8 | handoffs/s | 2000 | 1000 | 2.00 | 1/1 |",   // rates: ours/mutex
		"| Contended8 | handoffs/s | 2000 | 4000 | 0.50 | 1/1 |",   // share of the physical limit
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Other") {
		t.Errorf("table has a benchmark without variants:\n%s", out.String())
	}
}

func TestMedianEven(t *testing.T) {
	if m, _ := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median: got %v, want 2.5", m)
	}
}

func TestRatioZero(t *testing.T) {
	if got := ratioCell(0, 5, true, "B/op"); got != "∞" {
		t.Errorf("ours 0, mutex 5: got %q, want ∞", got)
	}
	if got := ratioCell(0, 0, true, "leases"); got != "1.00" {
		t.Errorf("both 0: got %q, want 1.00", got)
	}
}

func TestNoResults(t *testing.T) {
	if err := run(nil, strings.NewReader("PASS\n"), &bytes.Buffer{}); err == nil {
		t.Error("no results: got nil error")
	}
}

func TestFailureReported(t *testing.T) {
	in := sample + "--- FAIL: BenchmarkHeld10000/brokerlock\nFAIL\tgithub.com/x\t1.0s\n"
	var out bytes.Buffer
	if err := run(nil, strings.NewReader(in), &out); err == nil {
		t.Error("input with FAIL: got nil error")
	}
	if !strings.Contains(out.String(), "| Uncontended |") {
		t.Errorf("input with FAIL: want the table of what ran, got:\n%s", out.String())
	}
}
