package fxlock_test

import (
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/fxlock"
)

var criticalOpts = brokerlock.Options{TTL: time.Minute, Timeout: 5 * time.Second, Label: "critical work"}

// The module provides the client, the adapter (as itself and as
// brokerlock.Adapter) and the BrokerLock, wired to each other and to the
// Config; ProvideItem hands a service a working lock item: it holds the
// lock against other processes with the Config's identity, and Release
// frees it.
func TestModuleProvidesWorkingItem(t *testing.T) {
	cfg := config(t)
	var (
		lock    criticalLock
		bl      *brokerlock.BrokerLock
		adapter *etcdadapter.Adapter
		generic brokerlock.Adapter
	)
	app := fxtest.New(t, fx.Supply(cfg), fxlock.Module,
		fxlock.ProvideItem[criticalLock]("critical", criticalOpts),
		fx.Populate(&lock, &bl, &adapter, &generic))
	app.RequireStart()
	defer app.RequireStop()
	if generic != adapter || bl == nil || adapter.Prefix() != cfg.Prefix {
		t.Errorf("wiring: got adapter %p (prefix %q), brokerlock.Adapter %p, BrokerLock %p; want one adapter with prefix %q and a BrokerLock",
			adapter, adapter.Prefix(), generic, bl, cfg.Prefix)
	}
	if lock.ID() != "critical" || lock.Options() != withDefaults(criticalOpts) {
		t.Errorf("item: got %q %+v, want %q %+v", lock.ID(), lock.Options(), "critical", criticalOpts)
	}
	ctx := t.Context()
	h, err := lock.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	info, err := lock.Inspect(ctx)
	if err != nil || info.Holder == nil || info.Holder.Token != h.Token() || info.Holder.Identity != cfg.Identity {
		t.Errorf("Inspect: got %+v, %v; want holder with token %d and identity %q", info.Holder, err, h.Token(), cfg.Identity)
	}
	otherAdapter := etcdadapter.New(etcd.Client(), etcdadapter.WithPrefix(cfg.Prefix))
	defer otherAdapter.Close()
	other := brokerlock.New(otherAdapter).Item("critical", criticalOpts)
	if _, err := other.TryHold(ctx); !errors.Is(err, brokerlock.ErrLocked) {
		t.Errorf("TryHold by another process while held: got error %v, want ErrLocked", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Errorf("Release: got error %v, want nil", err)
	}
	oh, err := other.TryHold(ctx)
	if err != nil {
		t.Fatalf("TryHold by another process after Release: got error %v, want the lock", err)
	}
	_ = oh.Release(ctx)
}

// Stopping the app closes the adapter, ending its holds with ErrClosed
// and removing their keys at once (their leases are revoked, which needs
// the client still open), and then closes the client.
func TestStopClosesAdapterThenClient(t *testing.T) {
	cfg := config(t)
	var (
		lock   criticalLock
		client *clientv3.Client
	)
	app := fxtest.New(t, fx.Supply(cfg), fxlock.Module,
		fxlock.ProvideItem[criticalLock]("critical", criticalOpts), fx.Populate(&lock, &client))
	app.RequireStart()
	h, err := lock.Hold(t.Context())
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if n := keysUnder(t, cfg.Prefix); n != 1 {
		t.Errorf("keys while held: got %d, want 1", n)
	}
	app.RequireStop()
	if !isClosed(h.Done()) {
		t.Errorf("Done after Stop: open, want closed")
	}
	if err := h.Err(); !errors.Is(err, brokerlock.ErrClosed) || !errors.Is(err, brokerlock.ErrLockLost) {
		t.Errorf("Err after Stop: got %v, want ErrClosed and ErrLockLost", err)
	}
	if n := keysUnder(t, cfg.Prefix); n != 0 {
		t.Errorf("keys after Stop with a 1m TTL: got %d, want 0 (leases revoked before the client closed)", n)
	}
	if client.Ctx().Err() == nil {
		t.Errorf("client after Stop: open, want closed")
	}
}

// withDefaults is what Item.Options reports for opts.
func withDefaults(opts brokerlock.Options) brokerlock.Options {
	return brokerlock.New(nil).Item("x", opts).Options()
}
