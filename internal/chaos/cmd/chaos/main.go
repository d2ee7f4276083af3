// Command chaos runs the real-process fault harness (internal/chaos): for
// each etcd binary and each workload, a 3-member etcd cluster of real
// processes and a few worker processes, each in its own network namespace,
// through crashes, pauses and partitions; then it checks the history and
// writes a Markdown report with a timeline per run. It exits 1 if any
// check found a violation. `make chaos` builds the binaries and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/brokerlock/brokerlock/internal/chaos"
)

// workloads are the primitives under test, each with a few workers.
var workloads = []chaos.Workload{
	{Mode: "lock", Workers: 4, TTL: 3 * time.Second},
	{Mode: "semaphore", Workers: 4, Limit: 2, TTL: 3 * time.Second},
	{Mode: "rwlock", Workers: 4, Readers: 2, TTL: 3 * time.Second},
	{Mode: "election", Workers: 3, TTL: 3 * time.Second},
}

func main() {
	var (
		etcds     = flag.String("etcd", "", "etcd binaries to run against, comma-separated")
		workerBin = flag.String("worker", "", "the chaosworker binary")
		total     = flag.Duration("time", 5*time.Minute, "fault time of the whole run, shared by every etcd and workload")
		out       = flag.String("out", "chaos-results", "directory of the results")
		modes     = flag.String("modes", "", "only these workloads (comma-separated)")
		only      = flag.String("scenarios", "", "only these scenarios (comma-separated names; default all)")
		noNetns   = flag.Bool("no-netns", false, "run every process on 127.0.0.1, without partitions (as where namespaces are unavailable)")
	)
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	netns := chaos.NetnsAvailable()
	if *noNetns {
		netns = errors.New("-no-netns")
	}
	if err := run(ctx, strings.Split(*etcds, ","), *workerBin, *total, *out, *modes, *only, netns); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(ctx context.Context, etcds []string, workerBin string, total time.Duration, out, modes, only string, netns error) error {
	if netns != nil {
		log.Printf("partitions skipped: network namespaces are not available here (%v); the process faults still run", netns)
	}
	loads := selected(modes)
	budget := total / time.Duration(len(etcds)*len(loads))
	var results []*chaos.Result
	links := map[*chaos.Result]string{}
	for i, bin := range etcds {
		version, err := chaos.Version(bin)
		if err != nil {
			return fmt.Errorf("etcd %s: %w", bin, err)
		}
		for j, load := range loads {
			name := fmt.Sprintf("etcd-%s-%s", version, load.Mode)
			log.Printf("run %s: %v of faults", name, budget.Round(time.Second))
			res, err := chaos.Execute(ctx, chaos.Config{EtcdBin: bin, Etcd: version, WorkerBin: workerBin, Dir: filepath.Join(out, name),
				Load: load, Budget: budget, Netns: netns == nil, FirstScenario: (i + j*len(chaos.Scenarios)/len(loads)) % len(chaos.Scenarios),
				Only: names(only), Logf: log.Printf})
			if err != nil {
				return fmt.Errorf("run %s: %w", name, err)
			}
			links[res] = fmt.Sprintf("[timeline](%s/timeline.svg)", name)
			results = append(results, res)
			for _, v := range res.Violations {
				log.Printf("VIOLATION %s: %s", v.Check, v.Text)
			}
		}
	}
	return report(out, results, links)
}

// names splits a comma-separated list; "" is none.
func names(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

func selected(modes string) []chaos.Workload {
	if modes == "" {
		return workloads
	}
	var loads []chaos.Workload
	for _, l := range workloads {
		if strings.Contains(","+modes+",", ","+l.Mode+",") {
			loads = append(loads, l)
		}
	}
	return loads
}

func report(out string, results []*chaos.Result, links map[*chaos.Result]string) error {
	md := "# Fault harness report\n\n" + chaos.Markdown(results, links) + "\n"
	if err := os.WriteFile(filepath.Join(out, "REPORT.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	violations, failed := 0, 0
	for _, r := range results {
		violations += len(r.Violations)
		if len(r.Violations) > 0 {
			failed++
		}
	}
	fmt.Printf("\nchaos: %d passed, %d failed\n", len(results)-failed, failed)
	if violations > 0 {
		return fmt.Errorf("%d violations in %d runs", violations, failed)
	}
	return nil
}
