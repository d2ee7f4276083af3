package main

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds every value a benchmark line reported, by benchmark name
// (without the -GOMAXPROCS suffix) and unit: one value per round.
type results map[string]map[string][]float64

var procsSuffix = regexp.MustCompile(`-\d+$`)

// readResults parses Go benchmark output: "BenchmarkX/variant-2  N  v unit  v unit ...".
func readResults(name string) (results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs := results{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		bench := procsSuffix.ReplaceAllString(fields[0], "")
		if rs[bench] == nil {
			rs[bench] = map[string][]float64{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				rs[bench][fields[i+1]] = append(rs[bench][fields[i+1]], v)
			}
		}
	}
	return rs, sc.Err()
}

// median is the median of bench's unit over the rounds; false if none.
func (rs results) median(bench, unit string) (float64, bool) {
	xs := slices.Clone(rs[bench][unit])
	if len(xs) == 0 {
		return 0, false
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2, true
	}
	return xs[len(xs)/2], true
}
