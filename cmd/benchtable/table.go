package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// row is one scenario's metric: the samples of both variants.
type row struct {
	scenario, unit string
	samples        map[string][]float64 // by variant
}

// summarize groups results into rows: scenarios in the order they
// first appear, and within one its metrics in the order they first appear.
func summarize(results []result) []*row {
	var scenarios []string
	byScenario := map[string][]*row{}
	for _, r := range results {
		rows, seen := byScenario[r.scenario]
		if !seen {
			scenarios = append(scenarios, r.scenario)
		}
		i := slices.IndexFunc(rows, func(x *row) bool { return x.unit == r.unit })
		if i < 0 {
			rows = append(rows, &row{scenario: r.scenario, unit: r.unit, samples: map[string][]float64{}})
			i = len(rows) - 1
		}
		rows[i].samples[r.variant] = append(rows[i].samples[r.variant], r.value)
		byScenario[r.scenario] = rows
	}
	var all []*row
	for _, s := range scenarios {
		all = append(all, byScenario[s]...)
	}
	return all
}

// writeTable writes rows as a Markdown table.
func writeTable(w io.Writer, rows []*row) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| scenario | metric | %s | etcd (%s or %s) | ratio | n |\n", ours, theirs, theirElection)
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		o, okO := median(r.samples[ours])
		t, okT := median(r.samples[theirs])
		if !okO && !okT {
			continue // a limit's own metric
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.scenario, r.unit,
			cell(o, okO, r.unit), cell(t, okT, r.unit), ratioCell(o, t, okO && okT, r.unit), counts(r))
	}
	b.WriteString("\nMedians over the runs (n: brokerlock/mutex). ratio ≥ 1.00: brokerlock is at least as good " +
		"(mutex/brokerlock for costs, brokerlock/mutex for rates ending in /s).\n")
	writeLimits(&b, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLimits adds, for every rate that has a physical limit measured in
// the same run (sub-benchmark "limit"), the medians and their ratio.
func writeLimits(b *strings.Builder, rows []*row) {
	header := false
	for _, r := range rows {
		l, okL := median(r.samples[limit])
		o, okO := median(r.samples[ours])
		if !okL || !okO || !higherIsBetter(r.unit) {
			continue
		}
		if !header {
			b.WriteString("\n| scenario | metric | brokerlock | physical limit | share of the limit | n |\n" +
				"| --- | --- | ---: | ---: | ---: | ---: |\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %.2f | %d/%d |\n", r.scenario, r.unit,
			fmtNumber(o), fmtNumber(l), o/l, len(r.samples[ours]), len(r.samples[limit]))
	}
}

// median is the median of xs; false when there are none.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// higherIsBetter: rates ("handoffs/s", "ops/s", "MB/s").
func higherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// ratio is oriented so that ≥ 1 means brokerlock is at least as good.
func ratio(o, t float64, unit string) float64 {
	if higherIsBetter(unit) {
		o, t = t, o
	}
	switch {
	case o == t:
		return 1
	case o == 0:
		return math.Inf(1)
	}
	return t / o
}

func ratioCell(o, t float64, ok bool, unit string) string {
	if !ok {
		return "–"
	}
	r := ratio(o, t, unit)
	switch {
	case math.IsInf(r, 1):
		return "∞"
	case r < 0.01:
		return strconv.FormatFloat(r, 'g', 2, 64)
	}
	return fmt.Sprintf("%.2f", r)
}

func cell(v float64, ok bool, unit string) string {
	switch {
	case !ok:
		return "–"
	case unit == "ns/op":
		return fmtDuration(v)
	}
	return fmtNumber(v)
}

// fmtDuration shows ns as a duration with 3 or 4 significant digits.
func fmtDuration(ns float64) string {
	d := time.Duration(ns)
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		if d >= unit {
			return strconv.FormatFloat(ns/float64(unit), 'f', decimals(ns/float64(unit)), 64) +
				strings.TrimPrefix(unit.String(), "1")
		}
	}
	return d.String()
}

// fmtNumber shows whole and big numbers without decimals and others with
// about 4 significant digits.
func fmtNumber(v float64) string {
	if math.Abs(v) >= 1000 || v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals(v), 64)
}

// decimals keeps about 4 significant digits for |v| < 1000.
func decimals(v float64) int {
	switch a := math.Abs(v); {
	case a == 0 || a >= 100:
		return 1
	case a >= 10:
		return 2
	case a >= 1:
		return 3
	}
	return 4
}

func counts(r *row) string {
	return fmt.Sprintf("%d/%d", len(r.samples[ours]), len(r.samples[theirs]))
}
