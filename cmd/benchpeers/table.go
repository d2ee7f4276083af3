package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// results are the measurements of every round, by system and scenario.
type results map[string]map[string][]measurement

func (r results) add(system, scenario string, m measurement) {
	if r[system] == nil {
		r[system] = map[string][]measurement{}
	}
	r[system][scenario] = append(r[system][scenario], m)
}

// median is the median over the rounds of f of system's runs of scenario.
func (r results) median(system, scenario string, f func(measurement) float64) float64 {
	var xs []float64
	for _, m := range r[system][scenario] {
		xs = append(xs, f(m))
	}
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// benchFormat is every measurement as a line of Go benchmark output:
// BenchmarkPeers/<scenario>/<system> 1 <ops> ops/s <µs> client-us/op <µs> server-us/op.
func (r results) benchFormat() string {
	var b strings.Builder
	for system, byScenario := range r {
		for scenario, ms := range byScenario {
			for _, m := range ms {
				fmt.Fprintf(&b, "BenchmarkPeers/%s/%s 1 %.1f ops/s %.1f client-us/op %.1f server-us/op\n",
					scenario, strings.ReplaceAll(system, " ", "_"), m.opsPerSec, m.clientCPU, m.serverCPU)
			}
		}
	}
	return b.String()
}

// row is one line of the table: a figure and how to read it of a system.
type row struct {
	figure   string
	scenario string
	cell     func(r results, system, scenario string) string
	ratio    func(m measurement) float64 // nil: no ratio; higher is better
}

func ms(d float64) string { return fmt.Sprintf("%.2f", d/float64(time.Millisecond)) }

var rows = []row{
	{"uncontended Hold+Release cycles/s (1 client)", "uncontended", throughput, opsPerSec},
	{"p50 / p99 cycle, ms", "uncontended", latencies, nil},
	{"8 clients on one lock, handoffs/s", "contended", throughput, opsPerSec},
	{"p50 / p99 wait, ms", "contended", latencies, nil},
	{"32 goroutines, 32 distinct locks, 4 clients, acquisitions/s", "distinct", throughput, opsPerSec},
	{"CPU µs per distinct acquisition, client + server", "distinct", cpu, nil},
	{"CPU µs per contended handoff, client + server", "contended", cpu, nil},
}

func opsPerSec(m measurement) float64 { return m.opsPerSec }

func throughput(r results, s, sc string) string {
	return fmt.Sprintf("%.0f", r.median(s, sc, opsPerSec))
}

func latencies(r results, s, sc string) string {
	p50 := r.median(s, sc, func(m measurement) float64 { return float64(m.p50) })
	p99 := r.median(s, sc, func(m measurement) float64 { return float64(m.p99) })
	return ms(p50) + " / " + ms(p99)
}

func cpu(r results, s, sc string) string {
	c := r.median(s, sc, func(m measurement) float64 { return m.clientCPU })
	v := r.median(s, sc, func(m measurement) float64 { return m.serverCPU })
	return fmt.Sprintf("%.0f + %.0f", c, v)
}

// writeTable writes the medians as a Markdown table, one column per
// system, and brokerlock's throughput as a ratio to ZooKeeper's.
func writeTable(w io.Writer, r results, systems []*system) error {
	var b strings.Builder
	b.WriteString("| figure |")
	for _, s := range systems {
		b.WriteString(" " + s.name + " |")
	}
	b.WriteString(" brokerlock / ZooKeeper |\n| --- |" + strings.Repeat(" --: |", len(systems)+1) + "\n")
	for _, rw := range rows {
		b.WriteString("| " + rw.figure + " |")
		for _, s := range systems {
			b.WriteString(" " + rw.cell(r, s.name, rw.scenario) + " |")
		}
		b.WriteString(" " + ratioCell(r, rw) + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ratioCell(r results, rw row) string {
	if rw.ratio == nil {
		return ""
	}
	ours, theirs := r.median("brokerlock", rw.scenario, rw.ratio), r.median("ZooKeeper", rw.scenario, rw.ratio)
	if ours == 0 || theirs == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", ours/theirs)
}
