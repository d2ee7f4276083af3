package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Config is one run: one etcd cluster, one workload, the scenarios that
// fit in Budget.
type Config struct {
	EtcdBin, WorkerBin string
	Etcd               string // its version, for the report
	Dir                string // where the run's logs, history and report go
	Load               Workload
	Budget             time.Duration
	Netns              bool     // else partitions are skipped (and said so)
	FirstScenario      int      // where in Scenarios this run starts
	Only               []string // if set, only the scenarios of these names
	Logf               func(format string, args ...any)
}

// Run is a run in progress.
type Run struct {
	cfg     Config
	Net     *Net
	Cluster *Cluster
	Fleet   *Fleet
	Hist    *History
	prefix  string
	faults  []Fault
}

// Fault is one scenario as it happened.
type Fault struct {
	Name, Target string
	Start, Heal  time.Time
	Recovery     time.Duration // from Heal to the next acquisition
	Recovered    bool
	Err          error
	// figures of the window, filled in by Check
	Holds    int             // acquired while the fault lasted
	Lost     []time.Duration // holds lost: from the fault's start to the loss
	Handoffs []time.Duration // release to the next acquisition, while the fault lasted
}

// liveBound is how long after a heal the next acquisition must come: a
// lease nobody renews expires within TTL, etcd elects within seconds, and
// a worker retries within one Hold timeout.
func (l Workload) liveBound() time.Duration { return 2*l.TTL + 8*time.Second }

// Execute runs cfg: builds the hosts, starts etcd and the workers, injects
// the scenarios, stops everything and checks the history.
func Execute(ctx context.Context, cfg Config) (*Result, error) {
	r := &Run{cfg: cfg, Hist: NewHistory(), prefix: fmt.Sprintf("chaos/%s/", cfg.Load.Mode)}
	if err := mkdir(cfg.Dir); err != nil {
		return nil, err
	}
	if err := r.setUp(ctx); err != nil {
		r.tearDown()
		return nil, err
	}
	r.injectAll(ctx)
	res, err := r.finish(ctx)
	r.tearDown()
	return res, err
}

func (r *Run) setUp(ctx context.Context) error {
	if r.cfg.Netns {
		n, err := NewNet()
		if err != nil {
			return err
		}
		r.Net = n
	} else {
		r.Net = NewLocalNet()
	}
	var memberHosts, workerHosts []*Host
	for i := range 3 {
		h, err := r.Net.AddHost(fmt.Sprintf("m%d", i+1))
		if err != nil {
			return err
		}
		memberHosts = append(memberHosts, h)
	}
	for i := range r.cfg.Load.Workers {
		h, err := r.Net.AddHost(fmt.Sprintf("w%d", i))
		if err != nil {
			return err
		}
		workerHosts = append(workerHosts, h)
	}
	c, err := NewCluster(r.cfg.EtcdBin, r.cfg.Dir, memberHosts)
	if err != nil {
		return err
	}
	r.Cluster = c
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.StartAll(sctx); err != nil {
		return err
	}
	r.Fleet = NewFleet(r.cfg.WorkerBin, r.cfg.Dir, c.Endpoints(), r.prefix, r.cfg.Load, r.Hist, workerHosts)
	if err := r.Fleet.StartAll(); err != nil {
		return err
	}
	if _, ok := r.Hist.AwaitAcquired(sctx, time.Time{}, nil); !ok {
		return errors.New("no worker acquired within 30s of the start")
	}
	return nil
}

// injectAll injects scenarios one after the other, from FirstScenario on,
// until the budget is spent (at least one).
func (r *Run) injectAll(ctx context.Context) {
	end := time.Now().Add(r.cfg.Budget)
	scenarios := r.cfg.scenarios()
	for i := 0; i == 0 || time.Now().Before(end); i++ {
		if ctx.Err() != nil || len(scenarios) == 0 {
			return
		}
		sc := scenarios[(r.cfg.FirstScenario+i)%len(scenarios)]
		if sc.Netns && !r.cfg.Netns {
			r.cfg.Logf("skip %s: no network namespaces here (needs root and ip netns)", sc.Name)
			continue
		}
		if why := unsound(sc, r.cfg.Etcd); why != "" {
			r.cfg.Logf("skip %s: %s", sc.Name, why)
			continue
		}
		r.inject(ctx, sc)
	}
}

// scenarios are Scenarios, or those named in Only.
func (c Config) scenarios() []Scenario {
	if len(c.Only) == 0 {
		return Scenarios
	}
	var only []Scenario
	for _, sc := range Scenarios {
		if slices.Contains(c.Only, sc.Name) {
			only = append(only, sc)
		}
	}
	return only
}

// unsound is why etcd of version etcdVersion cannot pass sc by itself, or
// "".
func unsound(sc Scenario, etcdVersion string) string {
	if sc.Unsound == nil {
		return ""
	}
	return sc.Unsound(etcdVersion)
}

// inject runs one scenario: fault, its duration, heal, then waits for
// the next acquisition (liveness) and for etcd to have a leader again.
func (r *Run) inject(ctx context.Context, sc Scenario) {
	f := Fault{Name: sc.Name, Start: time.Now()}
	target, heal, err := sc.Inject(r)
	f.Target = target
	r.Hist.Add(Event{T: f.Start.UnixNano(), W: -1, Op: OpFault, What: sc.Name, Target: target})
	if err == nil {
		sleep(ctx, sc.For(r.cfg.Load))
	}
	if heal != nil {
		err = errors.Join(err, heal())
	}
	f.Heal, f.Err = time.Now(), err
	r.Hist.Add(Event{W: -1, Op: OpHeal, What: sc.Name, Target: target})
	lctx, cancel := context.WithTimeout(ctx, r.cfg.Load.liveBound())
	defer cancel()
	if ev, ok := r.Hist.AwaitAcquired(lctx, f.Heal, nil); ok {
		f.Recovered, f.Recovery = true, ev.At().Sub(f.Heal)
	}
	_, lerr := r.Cluster.Leader(lctx)
	f.Err = errors.Join(f.Err, lerr)
	r.cfg.Logf("%-24s %-28s recovered %v in %v %v", sc.Name, target, f.Recovered, f.Recovery.Round(time.Millisecond), errOrEmpty(f.Err))
	r.faults = append(r.faults, f)
}

// holder is a worker that holds now (a writer, if any), waiting up to
// 10s for one.
func (r *Run) holder() (*Worker, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var readers []*Worker
		for _, id := range r.Hist.Holders() {
			if w := r.Fleet.Worker(id); !w.Reader {
				return w, nil
			} else {
				readers = append(readers, w)
			}
		}
		if len(readers) > 0 && r.cfg.Load.Readers == r.cfg.Load.Workers {
			return readers[0], nil
		}
		if _, ok := r.Hist.AwaitAcquired(ctx, time.Now(), nil); !ok {
			return nil, errors.New("nobody held for 10s")
		}
	}
}

// waiter is a worker that does not hold now (any worker if all do).
func (r *Run) waiter() *Worker {
	holding := map[int]bool{}
	for _, id := range r.Hist.Holders() {
		holding[id] = true
	}
	var ws []*Worker
	for _, w := range r.Fleet.Workers {
		if !holding[w.ID] {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		ws = r.Fleet.Workers
	}
	return ws[rand.IntN(len(ws))]
}

func (r *Run) leader() (*Member, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Cluster.Leader(ctx)
}

// finish stops the workers, waits for every key to go, reads the
// server's history and checks everything.
func (r *Run) finish(ctx context.Context) (*Result, error) {
	killed := r.Fleet.StopAll(15 * time.Second)
	cli, err := r.Cluster.Client()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	left := r.awaitNoKeys(ctx, cli)
	server, err := ReadServerHistory(ctx, cli, r.prefix)
	if err != nil {
		return nil, fmt.Errorf("read the server's history: %w", err)
	}
	events := r.Hist.Events()
	res := Check(r.cfg.Load, r.prefix, events, server, r.faults)
	res.Etcd, res.LeakedKeys, res.StopKilled = r.cfg.Etcd, left, killed
	if len(left) > 0 {
		res.Violations = append(res.Violations, Violation{Check: "leaked-keys", Text: fmt.Sprintf("%d keys left: %v", len(left), left)})
	}
	return res, writeRunFiles(r.cfg.Dir, events, res)
}

// awaitNoKeys waits until no queue key is left (a killed worker's lease
// must expire: TTL plus the server's grace) and returns what is left.
func (r *Run) awaitNoKeys(ctx context.Context, cli *clientv3.Client) []string {
	deadline := time.Now().Add(r.cfg.Load.TTL + 10*time.Second)
	for {
		gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := cli.Get(gctx, r.prefix+"q/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		cancel()
		var left []string
		if err == nil {
			for _, kv := range resp.Kvs {
				left = append(left, string(kv.Key))
			}
			if len(left) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return left
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

func (r *Run) tearDown() {
	if r.Fleet != nil {
		for _, w := range r.Fleet.Workers {
			if w.proc != nil {
				w.proc.Kill()
			}
		}
	}
	if r.Cluster != nil {
		r.Cluster.Stop()
	}
	if r.cfg.Netns {
		Cleanup()
	}
	if r.Cluster != nil {
		for _, m := range r.Cluster.Members {
			_ = os.RemoveAll(m.dataDir) // the logs stay
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
