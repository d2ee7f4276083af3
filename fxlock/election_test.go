package fxlock_test

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/fxlock"
)

// schedulerElection is a service's election type.
type schedulerElection struct{ *brokerlock.Election }

// ProvideElection hands a service a working election on the module's
// adapter; stopping the app ends the term.
func TestProvideElection(t *testing.T) {
	cfg := config(t)
	var e schedulerElection
	app := fxtest.New(t, fx.Supply(cfg), fxlock.Module,
		fxlock.ProvideElection[schedulerElection]("scheduler", brokerlock.ElectionOptions{TTL: 5 * time.Second}),
		fx.Populate(&e))
	app.RequireStart()
	if e.Name() != "scheduler" || e.Options().TTL != 5*time.Second {
		t.Errorf("election: got %q %+v, want %q with TTL 5s", e.Name(), e.Options(), "scheduler")
	}
	term, err := e.Campaign(t.Context(), "pod-1")
	if err != nil {
		t.Fatalf("Campaign: got error %v, want to lead", err)
	}
	if l, err := e.Leader(t.Context()); err != nil || l.Value != "pod-1" {
		t.Errorf("Leader: got (%+v, %v), want value pod-1", l, err)
	}
	app.RequireStop()
	if !isClosed(term.Done()) || !errors.Is(term.Err(), brokerlock.ErrClosed) {
		t.Errorf("term after the app stopped: got Done closed %v, Err %v; want closed, ErrClosed", isClosed(term.Done()), term.Err())
	}
	if n := keysUnder(t, cfg.Prefix); n != 0 {
		t.Errorf("keys after the app stopped: got %d, want 0", n)
	}
}

// An invalid election fails the app before it starts, naming the field.
func TestProvideElectionInvalid(t *testing.T) {
	app := fx.New(fx.Supply(config(t)), fxlock.Module,
		fxlock.ProvideElection[schedulerElection]("", brokerlock.ElectionOptions{}), fx.NopLogger)
	if err := app.Err(); !errors.Is(err, brokerlock.ErrInvalid) {
		t.Errorf("app with an empty election name: got error %v, want ErrInvalid", err)
	}
}

type migrations struct{ *brokerlock.Semaphore }

type snapshotLock struct{ *brokerlock.RWLock }

// ProvideSemaphore and ProvideRWLock hand out working primitives, and
// refuse invalid arguments before the app starts.
func TestProvideSemaphoreAndRWLock(t *testing.T) {
	var (
		sem migrations
		rw  snapshotLock
	)
	app := fxtest.New(t, fx.Supply(config(t)), fxlock.Module,
		fxlock.ProvideSemaphore[migrations]("migrate", 2, brokerlock.Options{}),
		fxlock.ProvideRWLock[snapshotLock]("snapshot", brokerlock.Options{}),
		fx.Populate(&sem, &rw))
	app.RequireStart()
	defer app.RequireStop()
	for range 2 {
		if _, err := sem.TryHold(t.Context()); err != nil {
			t.Errorf("TryHold of one of 2 permits: got %v, want a permit", err)
		}
	}
	if _, err := rw.TryRHold(t.Context()); err != nil {
		t.Errorf("TryRHold: got %v, want to hold", err)
	}
	bad := fx.New(fx.Supply(config(t)), fxlock.Module,
		fxlock.ProvideSemaphore[migrations]("migrate", 0, brokerlock.Options{}), fx.NopLogger)
	if err := bad.Err(); !errors.Is(err, brokerlock.ErrInvalid) {
		t.Errorf("app with a semaphore of limit 0: got error %v, want ErrInvalid", err)
	}
}
