package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/brokerlock/brokerlock/fxlock"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

var etcd *testutil.Etcd

// One embedded etcd for the tests; after them, a goroutine leak check.
func TestMain(m *testing.M) { testutil.Main(m, &etcd) }

// config is the example's Config against the test etcd.
func config() fxlock.Config {
	return fxlock.Config{Endpoints: etcd.Endpoints(), Prefix: keyPrefix + "locks/"}
}

// run starts the app, does the critical work once, prints the run's
// number, and stops the app, leaving no lock key behind.
func TestRunDoesTheWorkOnce(t *testing.T) {
	before := runsSoFar(t)
	var out bytes.Buffer
	if err := run(t.Context(), config(), &out); err != nil {
		t.Fatalf("run: got error %v, want nil", err)
	}
	want := "did something critical: run " + strconv.FormatInt(before+1, 10) + ","
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output: got %q, want it to start with %q", out.String(), want)
	}
	wantNoLockKeys(t)
}

// Three replicas, each its own app with its own etcd client, count runs
// concurrently; the lock makes their read-then-write take turns, so no
// run is lost. Stopped, they leave no lock key.
func TestReplicasTakeTurns(t *testing.T) {
	const replicas, runsEach = 3, 5
	before := runsSoFar(t)
	var wg sync.WaitGroup
	var apps []*fxtest.App
	for range replicas {
		var svc *Service
		app := fxtest.New(t, fx.NopLogger, appOptions(config()), fx.Populate(&svc))
		apps = append(apps, app.RequireStart())
		wg.Go(func() {
			for range runsEach {
				if _, err := svc.DoSomethingCritical(context.Background()); err != nil {
					t.Errorf("DoSomethingCritical: got error %v, want nil", err)
				}
			}
		})
	}
	wg.Wait()
	if got, want := runsSoFar(t), before+replicas*runsEach; got != want {
		t.Errorf("runs counted: got %d, want %d (an update was lost: two replicas ran at once)", got, want)
	}
	for _, app := range apps {
		app.RequireStop()
	}
	wantNoLockKeys(t)
}

// runsSoFar reads the example's run counter.
func runsSoFar(t *testing.T) int64 {
	t.Helper()
	resp, err := etcd.Client().Get(t.Context(), counterKey)
	if err != nil {
		t.Fatalf("get %s: %v", counterKey, err)
	}
	if len(resp.Kvs) == 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", counterKey, err)
	}
	return n
}

// wantNoLockKeys checks that no lock key is left under the example's
// lock prefix.
func wantNoLockKeys(t *testing.T) {
	t.Helper()
	resp, err := etcd.Client().Get(t.Context(), config().Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("count lock keys: %v", err)
	}
	if resp.Count != 0 {
		t.Errorf("lock keys left under %q: got %d, want 0", config().Prefix, resp.Count)
	}
}
