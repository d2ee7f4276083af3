// Command benchpeers measures brokerlock side by side with the locks
// people weigh it against: etcd's own concurrency.Mutex, ZooKeeper's lock
// recipe (go-zookeeper/zk) and a Redis lock (bsm/redislock). Every server
// is a process of its own on 127.0.0.1, started here on free ports with
// its own temporary directory and its default durability: etcd fsyncs
// each commit, ZooKeeper standalone with forceSync=yes, Redis with
// appendfsync everysec. Each round runs every scenario once per system,
// the systems in turn (A B C D, then B C D A, ...), and the table shows
// the medians of the rounds with ratios to ZooKeeper.
//
// It is a module of its own (`make bench-peers`), so that the peers'
// client libraries stay out of the library's go.mod. A system whose server
// cannot be started is skipped with a message saying why.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	etcdBin := flag.String("etcd", "../../bench-results/etcd", "the etcd binary (make bench-peers builds the module's)")
	rounds := flag.Int("rounds", 3, "rounds; the table shows their medians")
	each := flag.Duration("time", 5*time.Second, "how long each scenario runs, per system and round")
	warm := flag.Duration("warm", 3*time.Second, "how long each system is warmed up before the first round")
	only := flag.String("only", "", "run only these systems (comma-separated names, e.g. brokerlock,ZooKeeper)")
	raw := flag.String("raw", "", "also write every round's figures here, in Go benchmark format (for cmd/benchplot)")
	profile := flag.String("profile", "", "write CPU profiles of the first round's scenarios, clients' and etcd's, to this directory")
	flag.Parse()
	if err := run(*etcdBin, *rounds, *each, *warm, *only, *raw, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "benchpeers:", err)
		os.Exit(1)
	}
}

func run(etcdBin string, rounds int, each, warm time.Duration, only, raw, profile string) error {
	dir, err := os.MkdirTemp("", "benchpeers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	started := startSystems(dir, etcdBin)
	defer func() {
		for _, s := range started { // the chosen ones and the others
			s.stop()
		}
	}()
	systems := chosen(started, only)
	if len(systems) == 0 {
		return fmt.Errorf("no system could be started")
	}
	ctx := context.Background()
	for _, s := range systems {
		if _, err := runScenario(ctx, s, uncontended, warm); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.name, err)
		}
	}
	res := results{}
	for r := range rounds {
		for i := range systems {
			s := systems[(i+r)%len(systems)]
			for _, sc := range scenarios {
				measure := func() (measurement, error) { return runScenario(ctx, s, sc, each) }
				var m measurement
				var err error
				if profile != "" && r == 0 {
					m, err = profiled(profile, s, sc, each, measure)
				} else {
					m, err = measure()
				}
				if err != nil {
					return fmt.Errorf("%s, %s: %w", s.name, sc.name, err)
				}
				fmt.Fprintf(os.Stderr, "round %d: %s, %s: %s\n", r+1, s.name, sc.name, m)
				res.add(s.name, sc.name, m)
			}
		}
	}
	if raw != "" {
		if err := os.WriteFile(raw, []byte(res.benchFormat()), 0o644); err != nil {
			return err
		}
	}
	return writeTable(os.Stdout, res, systems)
}

// chosen keeps the systems named in only (all when only is empty); the
// others still stop at the end.
func chosen(systems []*system, only string) []*system {
	if only == "" {
		return systems
	}
	var kept []*system
	for _, s := range systems {
		if slices.Contains(strings.Split(only, ","), s.name) {
			kept = append(kept, s)
		}
	}
	return kept
}
