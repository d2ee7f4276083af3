package fxlock_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/fxlock"
	"github.com/brokerlock/brokerlock/promlock"
)

// An fx.Decorate of brokerlock.Adapter reaches the BrokerLock and so the
// items: here promlock's wrapper, closed on stop before the adapter,
// counts the item's acquisition.
func TestDecorateAdapterWithPromlock(t *testing.T) {
	reg := prometheus.NewRegistry()
	var lock criticalLock
	app := fxtest.New(t, fx.Supply(config(t)), fxlock.Module,
		fxlock.ProvideItem[criticalLock]("critical", criticalOpts),
		fx.Decorate(func(lc fx.Lifecycle, a brokerlock.Adapter) (brokerlock.Adapter, error) {
			w, err := promlock.Wrap(a, reg)
			if err == nil {
				lc.Append(fx.StopHook(w.Close))
			}
			return w, err
		}),
		fx.Populate(&lock))
	app.RequireStart()
	if err := lock.Do(t.Context(), func(ctx context.Context) error { return nil }); err != nil {
		t.Fatalf("Do: got error %v, want nil", err)
	}
	app.RequireStop()
	if got := acquired(t, reg); got != 1 {
		t.Errorf(`brokerlock_acquisitions_total{result="acquired"}: got %v, want 1`, got)
	}
}

// acquired reads brokerlock_acquisitions_total{result="acquired"}.
func acquired(t *testing.T, g prometheus.Gatherer) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "brokerlock_acquisitions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "acquired" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
