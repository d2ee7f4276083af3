package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// peerSystems are make bench-peers' systems, in its order, with a colour.
var peerSystems = []struct {
	name, label string
	c           color.Color
}{
	{"brokerlock", "brokerlock", oursColor},
	{"etcd_Mutex", "etcd Mutex", color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}},
	{"ZooKeeper", "ZooKeeper", theirsColor},
	{"Redis", "Redis (no queue, no fencing)", color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}},
}

var peerScenarios = []struct{ name, label string }{
	{"uncontended", "uncontended"},
	{"contended", "8 clients, one lock"},
	{"distinct", "32 locks, 4 clients"},
}

// runPeers draws peers.png: throughput relative to ZooKeeper's, and CPU
// per operation (client + server), per scenario and system.
func runPeers(file, out string) error {
	rs, err := readResults(file)
	if err != nil {
		return err
	}
	rate, err := peerBars(rs, "throughput, ZooKeeper = 1", func(sc, sys string) (float64, bool) {
		v, ok := rs.median("BenchmarkPeers/"+sc+"/"+sys, "ops/s")
		zk, okZK := rs.median("BenchmarkPeers/"+sc+"/ZooKeeper", "ops/s")
		return v / zk, ok && okZK
	})
	if err != nil {
		return err
	}
	cpu, err := peerBars(rs, "CPU µs per operation, client + server", func(sc, sys string) (float64, bool) {
		c, ok := rs.median("BenchmarkPeers/"+sc+"/"+sys, "client-us/op")
		s, ok2 := rs.median("BenchmarkPeers/"+sc+"/"+sys, "server-us/op")
		return c + s, ok && ok2
	})
	if err != nil {
		return err
	}
	rate.Title.Text = "brokerlock side by side (make bench-peers)"
	return saveStacked(filepath.Join(out, "peers.png"), rate, cpu)
}

// peerBars is a grouped bar chart: one group per scenario, one bar per
// system, of value.
func peerBars(rs results, ylabel string, value func(scenario, system string) (float64, bool)) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = ylabel
	p.Legend.Top, p.Legend.Left = true, true
	w := vg.Points(14)
	for i, s := range peerSystems {
		var vs plotter.Values
		for _, sc := range peerScenarios {
			v, ok := value(sc.name, s.name)
			if !ok {
				return nil, fmt.Errorf("no %s for %s", sc.name, s.name)
			}
			vs = append(vs, v)
		}
		b, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width, b.Offset = s.c, 0, w*vg.Length(2*i-len(peerSystems)+1)/2
		p.Add(b)
		p.Legend.Add(s.label, b)
	}
	labels := make([]string, len(peerScenarios))
	for i, sc := range peerScenarios {
		labels[i] = sc.label
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	return p, nil
}

// saveStacked draws the plots one above the other into a PNG.
func saveStacked(file string, plots ...*plot.Plot) error {
	img := vgimg.New(width, height*vg.Length(len(plots)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(8)}
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	return savePNG(img, file)
}

func savePNG(img *vgimg.Canvas, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return err
}
