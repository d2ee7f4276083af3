package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The program itself, as a pod runs it: it leads the election and writes its
// heartbeat; on SIGTERM it stops, resigns and exits 0 at once.
// The test binary runs as the program when LEADER_JOB_MAIN is set (see
// TestMain).
func TestProgramExitsZeroOnSIGTERM(t *testing.T) {
	prefix := fmt.Sprintf("test/%s-%d/", t.Name(), prefixSeq.Add(1))
	cfg := config{Prefix: prefix}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LEADER_JOB_MAIN=1", "POD_NAME=leader-job-0", "ETCD_PREFIX="+prefix,
		"ETCD_ENDPOINTS="+strings.Join(etcd.Endpoints(), ","))
	log := &eventWriter{want: "job started", seen: make(chan struct{})}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-log.seen:
	case <-time.After(waitLimit):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the job did not start within %v:\n%s", waitLimit, log)
	}
	awaitHeartbeat(t, cfg.HeartbeatKey(), "leader-job-0")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0\n%s", err, log)
		}
	case <-time.After(waitLimit):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("still running %v after SIGTERM:\n%s", waitLimit, log)
	}
	if !strings.Contains(log.String(), "terminating: job stopped") {
		t.Errorf("no graceful stop in the log:\n%s", log)
	}
	t.Logf("the program's log:\n%s", log)
	requireNoKeys(t, cfg.LockPrefix())
	if _, err := etcd.Client().Delete(t.Context(), cfg.HeartbeatKey()); err != nil {
		t.Error(err)
	}
}

// eventWriter keeps what is written and closes seen once it contains want.
type eventWriter struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !before && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *eventWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
