package chaos

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Timeline geometry.
const (
	tlLeft  = 70.0
	tlWidth = 1500.0
	tlRow   = 22.0
	tlTop   = 64.0
)

// holdColors by how a hold ended.
var holdColors = map[string]string{
	"released": "#3a923a", // released
	"done":     "#3a923a",
	"lost":     "#e08a00", // Done closed with an error: the holder was told
	"killed":   "#8c8c8c", // its process was SIGKILLed
	"":         "#2c6fbb",
}

// WriteTimeline draws the run as SVG: one row per worker, its holds as
// bars coloured by how they ended, each fault as a shaded band, each
// violation as a red mark, and the frozen spans of a process hatched.
func WriteTimeline(w io.Writer, title string, events []Event, res *Result) error {
	holds, frozen := holdsOf(events)
	workers := 0
	for _, ev := range events {
		workers = max(workers, ev.W+1)
	}
	span := float64(max(res.End-res.Start, 1))
	x := func(t int64) float64 { return tlLeft + tlWidth*float64(t-res.Start)/span }
	height := tlTop + tlRow*float64(workers) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", tlLeft+tlWidth+20, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="8" y="16" font-size="14">%s</text>`+"\n", html.EscapeString(title))
	drawFaults(&b, res.Faults, x, height)
	for wk := range workers {
		y := tlTop + tlRow*float64(wk)
		fmt.Fprintf(&b, `<text x="8" y="%.0f">w%d</text><line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#ddd"/>`+"\n", y+14, wk, tlLeft, tlLeft+tlWidth, y+tlRow/2, y+tlRow/2)
	}
	for _, h := range holds {
		end := min(h.end, res.End)
		y := tlTop + tlRow*float64(h.w) + 3
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"><title>w%d token %d: %s %s</title></rect>`+"\n",
			x(h.acq), y, math.Max(x(end)-x(h.acq), 1), tlRow-6, holdColors[h.how], h.w, h.token, h.how, html.EscapeString(h.lostReason))
	}
	for p, wins := range frozen {
		for _, win := range wins {
			y := tlTop + tlRow*float64(p.w)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="none" stroke="#5050c0" stroke-dasharray="3,2"><title>w%d frozen</title></rect>`+"\n",
				x(win.from), y+1, x(min(win.to, res.End))-x(win.from), tlRow-2, p.w)
		}
	}
	drawViolations(&b, res.Violations, x)
	drawAxis(&b, span, height)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func drawFaults(b *strings.Builder, faults []Fault, x func(int64) float64, height float64) {
	for i, f := range faults {
		x0, x1 := x(f.Start.UnixNano()), x(f.Heal.UnixNano())
		fmt.Fprintf(b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="#d62728" fill-opacity="0.13"><title>%s %s</title></rect>`+"\n",
			x0, tlTop-26, math.Max(x1-x0, 1), height-tlTop-14, f.Name, html.EscapeString(f.Target))
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" font-size="9">%s</text>`+"\n", x0+1, tlTop-16+float64(i%2)*9, f.Name)
	}
}

func drawViolations(b *strings.Builder, vs []Violation, x func(int64) float64) {
	for _, v := range vs {
		if v.T == 0 {
			continue
		}
		y := tlTop + tlRow*float64(max(v.W, 0))
		fmt.Fprintf(b, `<path d="M%.1f %.0f l-5 -9 h10 z" fill="red"><title>%s: %s</title></path>`+"\n",
			x(v.T), y+tlRow/2, v.Check, html.EscapeString(v.Text))
	}
}

func drawAxis(b *strings.Builder, span, height float64) {
	secs := span / 1e9
	step := math.Max(1, math.Ceil(secs/30))
	for s := 0.0; s <= secs; s += step {
		px := tlLeft + tlWidth*s/secs
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#999"/><text x="%.1f" y="%.0f" text-anchor="middle">%.0fs</text>`+"\n",
			px, px, height-34, height-28, px, height-16, s)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" fill="#555">bars: holds (green released, orange lost: Done closed with an error, grey: process killed); dashed: process frozen; red bands: faults; red marks: violations</text>`+"\n",
		tlLeft, height-4)
}
