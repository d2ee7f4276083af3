// Command benchplot draws what `make bench` measured, as PNG pictures for
// BENCHMARKS.md: handoff latency under contention (a CDF, brokerlock
// against etcd's Mutex), memory per held lock against the number held, and
// the coordination primitives (election failover against etcd's Election,
// semaphore holds/s against a lock's). It reads the benchmarks' output
// (bench.txt) and the raw handoff samples they saved, and is a module of
// its own so that its plotting library (gonum's plot) stays out of the
// library's go.mod.
//
//	benchplot -bench bench-results/bench.txt -samples bench-results/samples -out docs/bench
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	bench := flag.String("bench", "bench-results/bench.txt", "the benchmarks' output")
	samples := flag.String("samples", "bench-results/samples", "the directory of raw handoff samples")
	peers := flag.String("peers", "", "make bench-peers' raw figures (benchpeers -raw); draws peers.png")
	out := flag.String("out", "docs/bench", "the directory to write the pictures to")
	flag.Parse()
	if *peers != "" {
		if err := runPeers(*peers, *out); err != nil {
			fmt.Fprintln(os.Stderr, "benchplot:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*bench, *samples, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

// run draws every picture whose data is there, and says which it skipped.
func run(benchFile, samplesDir, out string) error {
	results, err := readResults(benchFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	pictures := []struct {
		name string
		draw func() error
	}{
		{"handoff-cdf.png", func() error { return drawHandoffCDF(samplesDir, out+"/handoff-cdf.png") }},
		{"held-memory.png", func() error { return drawHeldMemory(results, out+"/held-memory.png") }},
		{"coordination.png", func() error { return drawCoordination(results, out+"/coordination.png") }},
	}
	for _, p := range pictures {
		if err := p.draw(); err != nil {
			fmt.Fprintf(os.Stderr, "benchplot: %s not drawn: %v\n", p.name, err)
			continue
		}
		fmt.Println("benchplot: wrote", out+"/"+p.name)
	}
	return nil
}
