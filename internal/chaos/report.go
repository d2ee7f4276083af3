package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// writeRunFiles writes a run's history (JSON lines), its result and its
// timeline into dir.
func writeRunFiles(dir string, events []Event, res *Result) error {
	f, err := os.Create(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	log := NewLog(f)
	for _, ev := range events {
		log.Add(ev)
	}
	svg, err := os.Create(filepath.Join(dir, "timeline.svg"))
	if err != nil {
		return err
	}
	defer svg.Close()
	title := fmt.Sprintf("etcd %s, %s: %d holds, %d faults, %d violations", res.Etcd, res.Mode, res.Holds, len(res.Faults), len(res.Violations))
	return WriteTimeline(svg, title, events, res)
}

// Markdown is the report of several runs: one line per run, then one per
// fault.
func Markdown(results []*Result, links map[*Result]string) string {
	var b strings.Builder
	b.WriteString("| etcd | workload | time | holds | handoffs | losses told | writes applied / refused / answer lost (landed) | late writes applied / refused | fenced reads applied / refused / answer lost (late: applied / refused) | linearizable | leaked keys | violations | timeline |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d / %d / %d (%d) | %d / %d | %s | %s | %d | %d | %s |\n",
			r.Etcd, r.Mode, time.Duration(r.End-r.Start).Round(time.Second), r.Holds, r.Handoffs, r.Losses,
			r.Writes[Applied], r.Writes[Refused], r.Writes[Unknown], r.UnknownLanded, r.Late[Applied], r.Late[Refused],
			readsText(r), orDash(r.Linearizable), len(r.LeakedKeys), len(r.Violations), links[r])
	}
	b.WriteString("\n| etcd | workload | fault | target | lasted | holds during | lost (told after) | handoffs: longest | first hold after heal |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		for _, f := range r.Faults {
			rec := "none (violation)"
			if f.Recovered {
				rec = f.Recovery.Round(10 * time.Millisecond).String()
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.Etcd, r.Mode, f.Name, strings.ReplaceAll(f.Target, "|", "\\|"),
				f.Heal.Sub(f.Start).Round(100*time.Millisecond), f.Holds, lostText(f.Lost), longest(f.Handoffs), rec)
		}
	}
	for _, r := range results {
		for _, f := range r.Faults {
			if f.Err != nil {
				fmt.Fprintf(&b, "\n- harness error (etcd %s, %s, %s): %v", r.Etcd, r.Mode, f.Name, f.Err)
			}
		}
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "\n- **violation** (etcd %s, %s) %s: %s", r.Etcd, r.Mode, v.Check, v.Text)
		}
	}
	return b.String()
}

// readsText is the fenced reads' figures; "-" for a workload without.
func readsText(r *Result) string {
	if len(r.Reads) == 0 {
		return "-"
	}
	return fmt.Sprintf("%d / %d / %d (late: %d / %d)", r.Reads[Applied], r.Reads[Refused], r.Reads[Unknown],
		r.LateReads[Applied], r.LateReads[Refused])
}

func lostText(ds []time.Duration) string {
	if len(ds) == 0 {
		return "0"
	}
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Round(10*time.Millisecond).String())
	}
	return fmt.Sprintf("%d (%s)", len(ds), strings.Join(parts, ", "))
}

func longest(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	return fmt.Sprintf("%v (of %d)", slices.Max(ds).Round(time.Millisecond), len(ds))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
