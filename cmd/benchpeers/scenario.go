package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// scenario is a way to use locks: clients connections, workers goroutines
// spread over them, each on a lock of its own (distinct) or all on one.
type scenario struct {
	name     string
	clients  int
	workers  int
	distinct bool
}

var (
	uncontended = scenario{name: "uncontended", clients: 1, workers: 1, distinct: true}
	contended   = scenario{name: "contended", clients: 8, workers: 8}
	distinct    = scenario{name: "distinct", clients: 4, workers: 32, distinct: true}
	scenarios   = []scenario{uncontended, contended, distinct}
)

// measurement is one scenario's run on one system.
type measurement struct {
	opsPerSec float64 // lock+unlock cycles per second, all workers
	p50, p99  time.Duration
	clientCPU float64 // µs of this process's CPU per cycle
	serverCPU float64 // µs of the server process's CPU per cycle
}

func (m measurement) String() string {
	return fmt.Sprintf("%.0f/s, p50 %v, p99 %v, CPU µs/op client %.0f + server %.0f",
		m.opsPerSec, m.p50.Round(10*time.Microsecond), m.p99.Round(10*time.Microsecond), m.clientCPU, m.serverCPU)
}

// runScenario runs sc on s for d. The latency recorded is, contended, the
// wait for the lock (lock call to return); otherwise a whole cycle.
func runScenario(ctx context.Context, s *system, sc scenario, d time.Duration) (measurement, error) {
	clients, err := newClients(s, sc.clients)
	if err != nil {
		return measurement{}, err
	}
	defer closeAll(clients)
	cpu0, srv0 := processCPU(), serverCPU(s)
	start := time.Now()
	lats, err := runWorkers(ctx, clients, sc, start.Add(d))
	elapsed := time.Since(start)
	if err != nil {
		return measurement{}, err
	}
	n := float64(len(lats))
	slices.Sort(lats)
	return measurement{opsPerSec: n / elapsed.Seconds(), p50: quantile(lats, 0.50), p99: quantile(lats, 0.99),
		clientCPU: (processCPU() - cpu0) / n, serverCPU: (serverCPU(s) - srv0) / n}, nil
}

func newClients(s *system, n int) ([]client, error) {
	var cs []client
	for range n {
		c, err := s.newClient()
		if err != nil {
			closeAll(cs)
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func closeAll(cs []client) {
	for _, c := range cs {
		_ = c.close()
	}
}

// runWorkers runs sc's workers until the deadline and returns every
// cycle's latency.
func runWorkers(ctx context.Context, clients []client, sc scenario, deadline time.Time) ([]time.Duration, error) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		errs  []error
		wg    sync.WaitGroup
		runID = strconv.FormatInt(time.Now().UnixNano(), 36)
	)
	for w := range sc.workers {
		id := "lock-" + runID
		if sc.distinct {
			id += "-" + strconv.Itoa(w)
		}
		wg.Go(func() {
			lats, err := cycles(ctx, clients[w%len(clients)], id, !sc.distinct, deadline)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, lats...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return all, nil
}

// cycles locks and unlocks id until the deadline; waitOnly records the
// wait for the lock instead of the whole cycle.
func cycles(ctx context.Context, c client, id string, waitOnly bool, deadline time.Time) ([]time.Duration, error) {
	var lats []time.Duration
	for time.Now().Before(deadline) {
		lctx, cancel := context.WithTimeout(ctx, time.Minute)
		start := time.Now()
		unlock, err := c.lock(lctx, id)
		waited := time.Since(start)
		if err == nil {
			err = unlock(lctx)
		}
		cancel()
		if err != nil {
			return lats, err
		}
		if waitOnly {
			lats = append(lats, waited)
		} else {
			lats = append(lats, time.Since(start))
		}
	}
	return lats, nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

// processCPU is this process's CPU time so far, in µs.
func processCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

// serverCPU is the server process's CPU time so far, in µs (utime+stime
// of /proc/PID/stat, in clock ticks of 10ms).
func serverCPU(s *system) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.server.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	utime, _ := strconv.ParseFloat(f[11], 64) // fields 14 and 15 of the whole line
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) * 1e4 // 100 ticks a second
}
