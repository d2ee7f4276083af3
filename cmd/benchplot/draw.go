package main

import (
	"bufio"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The two colours of every picture: ours and theirs.
var (
	oursColor   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	theirsColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

const width, height = 6 * vg.Inch, 3.6 * vg.Inch

// drawHandoffCDF: the share of Contended8's handoffs done within x ms,
// brokerlock against Mutex, x on a log scale.
func drawHandoffCDF(dir, file string) error {
	p := plot.New()
	p.Title.Text = "8 processes on one lock: handoff time (CDF)"
	p.X.Label.Text = "release to next holder's return, ms (log scale)"
	p.Y.Label.Text = "share of handoffs"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	for _, s := range []struct {
		variant, label string
		c              color.Color
	}{{"brokerlock", "brokerlock", oursColor}, {"mutex", "etcd Mutex", theirsColor}} {
		ms, err := readSamples(filepath.Join(dir, "BenchmarkContended8_"+s.variant+".txt"))
		if err != nil {
			return err
		}
		if _, err := addLine(p, cdf(ms), s.label, s.c); err != nil {
			return err
		}
	}
	return p.Save(width, height, file)
}

// readSamples reads one value per line.
func readSamples(name string) ([]float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var xs []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, err := strconv.ParseFloat(sc.Text(), 64); err == nil {
			xs = append(xs, max(v, 0.001)) // a log scale has no 0
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	return xs, sc.Err()
}

// cdf is the empirical CDF of xs.
func cdf(xs []float64) plotter.XYs {
	slices.Sort(xs)
	pts := make(plotter.XYs, len(xs))
	for i, x := range xs {
		pts[i] = plotter.XY{X: x, Y: float64(i+1) / float64(len(xs))}
	}
	return pts
}

// addLine adds a line through pts, and its legend entry.
func addLine(p *plot.Plot, pts plotter.XYs, label string, c color.Color) (*plotter.Line, error) {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width = c, vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(label, l)
	return l, nil
}

// drawHeldMemory: bytes per held lock, client and server, against the
// number held by one client (HeldScale, etcd in its own process).
func drawHeldMemory(rs results, file string) error {
	p := plot.New()
	p.Title.Text = "Memory per held lock, one client, KeepAlive"
	p.X.Label.Text = "locks held (log scale)"
	p.Y.Label.Text = "bytes per held lock"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	for _, s := range []struct {
		variant, unit, label string
		c                    color.Color
		dashed               bool
	}{
		{"brokerlock", "B/lock", "brokerlock, client", oursColor, false},
		{"mutex", "B/lock", "etcd Mutex, client", theirsColor, false},
		{"brokerlock", "server-B/lock", "brokerlock, etcd server", oursColor, true},
		{"mutex", "server-B/lock", "etcd Mutex, etcd server", theirsColor, true},
	} {
		var pts plotter.XYs
		for _, n := range []int{1000, 10000, 100000} {
			if v, ok := rs.median(fmt.Sprintf("BenchmarkHeldScale/n=%d/%s", n, s.variant), s.unit); ok {
				pts = append(pts, plotter.XY{X: float64(n), Y: v})
			}
		}
		if len(pts) == 0 {
			return fmt.Errorf("no HeldScale results")
		}
		l, err := addLine(p, pts, s.label, s.c)
		if err != nil {
			return err
		}
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
	}
	p.Y.Min = 0
	return p.Save(width, height, file)
}

// drawCoordination: election failover (p50 and p99, brokerlock against
// etcd's Election) and semaphore holds/s (a semaphore of 4 against a lock).
func drawCoordination(rs results, file string) error {
	failover, err := bars(rs, "ms: leader resigns to next leads",
		[]string{"p50", "p99"}, []string{"p50-ms", "p99-ms"},
		"BenchmarkElectionFailover/brokerlock", "BenchmarkElectionFailover/election", "brokerlock Election", "etcd Election")
	if err != nil {
		return err
	}
	failover.Title.Text = "Election failover"
	if err := failover.Save(width, height, file); err != nil {
		return err
	}
	sem, err := bars(rs, "holds/s: 16 goroutines, 8 clients, 2 ms each",
		[]string{"holds/s"}, []string{"holds/s"},
		"BenchmarkSemaphore16/semaphore", "BenchmarkSemaphore16/item", "Semaphore, limit 4", "lock (Item)")
	if err != nil {
		return err
	}
	sem.Title.Text = "Semaphore against a lock"
	return sem.Save(width, height, filepath.Join(filepath.Dir(file), "semaphore.png"))
}

// valuesText lists each label with its value: "p50 0.32, p99 0.63".
func valuesText(labels []string, vs plotter.Values) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.3g", labels[i], v)
	}
	return b.String()
}

// bars is a bar chart of the medians of units (labelled labels), ours
// beside theirs.
func bars(rs results, ylabel string, labels, units []string, ours, theirs, oursLabel, theirsLabel string) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = ylabel
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	w := vg.Points(28)
	for i, s := range []struct {
		bench, label string
		c            color.Color
	}{{ours, oursLabel, oursColor}, {theirs, theirsLabel, theirsColor}} {
		var vs plotter.Values
		for _, u := range units {
			v, ok := rs.median(s.bench, u)
			if !ok {
				return nil, fmt.Errorf("no %s of %s", u, s.bench)
			}
			vs = append(vs, v)
		}
		b, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width, b.Offset = s.c, 0, w*vg.Length(2*i-1)/2
		p.Add(b)
		p.Legend.Add(fmt.Sprintf("%s (%s)", s.label, valuesText(labels, vs)), b)
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4 // room for the bars beside each label
	return p, nil
}
