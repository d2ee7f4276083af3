package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

var etcd *testutil.Etcd

// One embedded etcd for the package; after the tests, no goroutine left.
// With LEADER_JOB_MAIN set, the test binary is the program instead
// (TestProgramExitsZeroOnSIGTERM).
func TestMain(m *testing.M) {
	if os.Getenv("LEADER_JOB_MAIN") != "" {
		main()
		return
	}
	testutil.Main(m, &etcd)
}

const (
	// takeover bounds a standby's takeover after a release or a deleted
	// key; without the release it would wait for the 15s TTL.
	takeover = 3 * time.Second
	// waitLimit bounds every wait for an event.
	waitLimit = 10 * time.Second
)

// Three replicas: one runs the job, the others wait. Each SIGTERM stops
// the running job, resigns, exits 0, and a standby takes over at
// once, until the last one stops. The job never runs on two replicas at
// once, the stopped replica's term can no longer write, and no election key is
// left.
func TestOneReplicaRunsTheJobAndHandsOverOnSIGTERM(t *testing.T) {
	rs := startReplicas(t, 3, 20*time.Millisecond)
	var prevStop event
	for range 3 {
		start := rs.tl.next(t)
		if !start.start {
			t.Fatalf("got %v, want a job start", start)
		}
		if prevStop.pod != "" {
			if start.pod == prevStop.pod {
				t.Fatalf("%s started again after it was stopped", start.pod)
			}
			if d := start.at.Sub(prevStop.at); d > takeover {
				t.Errorf("%s took over %v after %s stopped, want within %v", start.pod, d, prevStop.pod, takeover)
			}
		}
		awaitHeartbeat(t, rs.cfg.HeartbeatKey(), start.pod)

		rs.sigterm(t, start.pod) // returns once its run returned nil
		stop := rs.tl.next(t)
		if stop.start || stop.pod != start.pod || !errors.Is(stop.cause, context.Canceled) {
			t.Fatalf("got %v, want %s's job stopped by SIGTERM", stop, start.pod)
		}
		if err := writeFenced(t.Context(), etcd.Client(), start.hold, rs.cfg.HeartbeatKey(), "late"); !errors.Is(err, errFenced) {
			t.Errorf("write with %s's released hold: got %v, want %v", start.pod, err, errFenced)
		}
		prevStop = stop
	}
	rs.tl.drain()
	requireOneAtATime(t, rs.tl.all)
	requireNoKeys(t, rs.cfg.LockPrefix())
}

// An operator deletes the running replica's key (etcdctl del): its job
// stops at once, it logs the loss and waits again, and a standby takes
// over. Its hold, now stale, can no longer write a heartbeat. Deleting a
// key frees the lock on the server at once, so the new job may start a
// moment before the old one has heard of it: that gap is what the fenced
// write covers, so this test does not require the two not to overlap.
// The job writes only when it starts, so it is the loss that stops it, not
// a refused write.
func TestDeletedKeyStopsTheJobAndAnotherTakesOver(t *testing.T) {
	rs := startReplicas(t, 3, time.Hour)
	first := rs.tl.next(t)
	if !first.start {
		t.Fatalf("got %v, want a job start", first)
	}
	awaitHeartbeat(t, rs.cfg.HeartbeatKey(), first.pod)

	deleted := time.Now()
	if _, err := etcd.Client().Delete(t.Context(), first.hold.Key()); err != nil {
		t.Fatal(err)
	}
	var stopped, next event
	for stopped.pod == "" || next.pod == "" {
		switch e := rs.tl.next(t); {
		case !e.start && e.pod == first.pod:
			stopped = e
		case e.start && e.pod != first.pod:
			next = e
		default:
			t.Fatalf("got %v, want %s's job stopped and another's started", e, first.pod)
		}
	}
	if !errors.Is(stopped.cause, brokerlock.ErrLockLost) || stopped.err != nil {
		t.Errorf("%s's job stopped with cause %v and error %v, want cause %v and no error",
			first.pod, stopped.cause, stopped.err, brokerlock.ErrLockLost)
	}
	if d := next.at.Sub(deleted); d > takeover {
		t.Errorf("%s took over %v after the delete, want within %v", next.pod, d, takeover)
	}
	current := awaitHeartbeat(t, rs.cfg.HeartbeatKey(), next.pod)

	// The stale replica writes with the job's own fenced write: refused,
	// and the new holder's heartbeat stays.
	if err := writeFenced(t.Context(), etcd.Client(), first.hold, rs.cfg.HeartbeatKey(), "stale"); !errors.Is(err, errFenced) {
		t.Errorf("stale write: got %v, want %v", err, errFenced)
	}
	if v := heartbeat(t, rs.cfg.HeartbeatKey()); !strings.HasPrefix(v, next.pod+" ") {
		t.Errorf("heartbeat after the stale write: %q, want %s's (last seen %q)", v, next.pod, current)
	}

	// The replica that lost went back to waiting: stop the others in turn
	// and it leads again, with a greater fencing token.
	leader := next
	for leader.pod != first.pod {
		rs.sigterm(t, leader.pod)
		if e := rs.tl.next(t); e.start || e.pod != leader.pod {
			t.Fatalf("got %v, want %s's job stopped", e, leader.pod)
		}
		if leader = rs.tl.next(t); !leader.start {
			t.Fatalf("got %v, want a job start", leader)
		}
	}
	if leader.hold.Token() <= first.hold.Token() {
		t.Errorf("%s's new token %d, want greater than its lost %d", first.pod, leader.hold.Token(), first.hold.Token())
	}
	rs.stopAll(t)
	if logs := rs.logs[first.pod].String(); !strings.Contains(logs, "lost the term") {
		t.Errorf("%s did not log the loss:\n%s", first.pod, logs)
	}
	requireNoKeys(t, rs.cfg.LockPrefix())
}

// event is a job's start or stop on one replica.
type event struct {
	at    time.Time
	pod   string
	start bool
	hold  *brokerlock.Term
	cause error // stop: why the job's ctx ended (nil if it had not)
	err   error // stop: the job's error
}

func (e event) String() string {
	if e.start {
		return fmt.Sprintf("%s started (token %d)", e.pod, e.hold.Token())
	}
	return fmt.Sprintf("%s stopped (cause %v, error %v)", e.pod, e.cause, e.err)
}

// timeline records the starts and stops of every replica's job in one
// order, on one clock: an event caused by another (a start after a
// release) comes after it.
type timeline struct {
	events chan event
	all    []event // the events next returned
}

// observe wraps job so that its start and stop are recorded; start is
// recorded once the job runs, stop before it returns.
func (tl *timeline) observe(pod string, job Job) Job {
	return func(ctx context.Context, h *brokerlock.Term) error {
		tl.events <- event{at: time.Now(), pod: pod, start: true, hold: h}
		err := job(ctx, h)
		tl.events <- event{at: time.Now(), pod: pod, hold: h, cause: context.Cause(ctx), err: err}
		return err
	}
}

// next returns the next event, failing after waitLimit.
func (tl *timeline) next(t *testing.T) event {
	t.Helper()
	select {
	case e := <-tl.events:
		tl.all = append(tl.all, e)
		return e
	case <-time.After(waitLimit):
		t.Fatalf("no job started or stopped within %v (so far: %v)", waitLimit, tl.all)
		return event{}
	}
}

// drain takes the events recorded but not yet returned by next.
func (tl *timeline) drain() {
	for {
		select {
		case e := <-tl.events:
			tl.all = append(tl.all, e)
		default:
			return
		}
	}
}

// requireOneAtATime fails unless every start is followed by the same
// replica's stop before the next start.
func requireOneAtATime(t *testing.T, events []event) {
	t.Helper()
	running := ""
	for _, e := range events {
		switch {
		case e.start && running != "":
			t.Errorf("%s started while %s ran the job: %v", e.pod, running, events)
		case !e.start && e.pod != running:
			t.Errorf("%s stopped while %q ran the job: %v", e.pod, running, events)
		}
		running = ""
		if e.start {
			running = e.pod
		}
	}
}

// replicas are pods pod-0, pod-1, ... of one Deployment, each running
// run with its own client and adapter, in a prefix of its own.
type replicas struct {
	cfg    config // pod-0's; the prefix is shared
	tl     *timeline
	logs   map[string]*logBuffer
	cancel map[string]context.CancelFunc
	exited map[string]chan error
}

var prefixSeq atomic.Int64

// startReplicas starts n replicas whose job is a heartbeat every interval.
// They are stopped at the end of the test, and their keys removed.
func startReplicas(t *testing.T, n int, every time.Duration) *replicas {
	prefix := fmt.Sprintf("test/%s-%d/", t.Name(), prefixSeq.Add(1))
	rs := &replicas{
		tl:     &timeline{events: make(chan event, 100)},
		logs:   map[string]*logBuffer{},
		cancel: map[string]context.CancelFunc{},
		exited: map[string]chan error{},
	}
	for i := range n {
		pod := fmt.Sprintf("pod-%d", i)
		env := map[string]string{
			"ETCD_ENDPOINTS": strings.Join(etcd.Endpoints(), ","),
			"POD_NAME":       pod,
			"ETCD_PREFIX":    prefix,
		}
		cfg, err := configFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		cfg.Client.Logger = zap.NewNop() // the client's own retry logs are noise here
		if i == 0 {
			rs.cfg = cfg
		}
		rs.logs[pod] = &logBuffer{}
		log := slog.New(slog.NewTextHandler(rs.logs[pod], nil))
		ctx, cancel := context.WithCancel(context.Background())
		exited := make(chan error, 1)
		rs.cancel[pod], rs.exited[pod] = cancel, exited
		go func() {
			exited <- run(ctx, cfg, log, func(client *clientv3.Client) Job {
				return rs.tl.observe(pod, Heartbeat(client, cfg.HeartbeatKey(), pod, every))
			})
		}()
	}
	t.Cleanup(func() {
		rs.stopAll(t)
		if _, err := etcd.Client().Delete(context.Background(), prefix, clientv3.WithPrefix()); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			for pod, logs := range rs.logs {
				t.Logf("%s's log:\n%s", pod, logs)
			}
		}
	})
	return rs
}

// sigterm cancels pod's ctx, as main does on SIGTERM, and waits for its
// run to return: nil, the exit code 0, well within
// terminationGracePeriodSeconds.
func (rs *replicas) sigterm(t *testing.T, pod string) {
	t.Helper()
	cancel, ok := rs.cancel[pod]
	if !ok {
		return
	}
	delete(rs.cancel, pod)
	cancel()
	select {
	case err := <-rs.exited[pod]:
		if err != nil {
			t.Errorf("%s: run returned %v after SIGTERM, want nil (exit 0)", pod, err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("%s still running %v after SIGTERM", pod, waitLimit)
	}
}

// stopAll stops the replicas still running.
func (rs *replicas) stopAll(t *testing.T) {
	t.Helper()
	for pod := range rs.cancel {
		rs.sigterm(t, pod)
	}
}

// logBuffer is a replica's log, safe to read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// awaitHeartbeat waits until key holds a heartbeat of pod and returns it.
func awaitHeartbeat(t *testing.T, key, pod string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	resp, err := etcd.Client().Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 1 && strings.HasPrefix(string(resp.Kvs[0].Value), pod+" ") {
		return string(resp.Kvs[0].Value)
	}
	for wr := range etcd.Client().Watch(ctx, key, clientv3.WithRev(resp.Header.Revision+1)) {
		for _, ev := range wr.Events {
			if v := string(ev.Kv.Value); ev.Type == clientv3.EventTypePut && strings.HasPrefix(v, pod+" ") {
				return v
			}
		}
	}
	t.Fatalf("no heartbeat of %s within %v (now %q)", pod, waitLimit, heartbeat(t, key))
	return ""
}

// heartbeat returns key's value.
func heartbeat(t *testing.T, key string) string {
	t.Helper()
	resp, err := etcd.Client().Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

// requireNoKeys fails unless nothing is left under prefix.
func requireNoKeys(t *testing.T, prefix string) {
	t.Helper()
	resp, err := etcd.Client().Get(context.Background(), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		t.Errorf("key left: %s", kv.Key)
	}
}
