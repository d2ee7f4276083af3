package promlock_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
	"github.com/brokerlock/brokerlock/promlock"
)

// Wrap the adapter, then use the wrapper wherever the adapter was used.
// In production, with etcd and the default registry that promhttp.Handler
// serves:
//
//	adapter, err := promlock.Wrap(etcdadapter.New(client), prometheus.DefaultRegisterer)
//	if err != nil {
//		return err
//	}
//	defer adapter.Close() // closes the etcd adapter too; then close the client
//	lock := brokerlock.New(adapter)
//
// Here a memadapter and a registry of its own keep the example runnable.
func ExampleWrap() {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	adapter, err := promlock.Wrap(memadapter.New(), reg)
	if err != nil {
		panic(err)
	}
	defer adapter.Close()
	report := brokerlock.New(adapter).Item("nightly-report", brokerlock.Options{TTL: time.Minute})

	_ = report.Do(ctx, func(ctx context.Context) error { return nil })
	h, _ := report.Hold(ctx)
	_, err = report.TryHold(ctx)
	fmt.Println("TryHold while held:", err)
	_ = h.Release(ctx)

	printSeries(reg, "brokerlock_acquisitions_total", "brokerlock_releases_total", "brokerlock_holds_in_progress")
	// Output:
	// TryHold while held: brokerlock: lock "nightly-report": locked by someone else (holder's token 2)
	// brokerlock_acquisitions_total{primitive="lock",result="acquired"} 2
	// brokerlock_acquisitions_total{primitive="lock",result="locked"} 1
	// brokerlock_holds_in_progress{primitive="lock"} 0
	// brokerlock_releases_total{primitive="lock",result="ok"} 2
}

// printSeries prints the non-zero series of the named families as
// Prometheus would scrape them, and every series of holds_in_progress.
func printSeries(g prometheus.Gatherer, names ...string) {
	families, _ := g.Gather()
	for _, f := range families {
		for _, name := range names {
			if f.GetName() != name {
				continue
			}
			for _, m := range f.GetMetric() {
				v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
				if v == 0 && m.Gauge == nil {
					continue
				}
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				series := name
				if len(labels) > 0 {
					series += "{" + strings.Join(labels, ",") + "}"
				}
				fmt.Println(series, v)
			}
		}
	}
}
