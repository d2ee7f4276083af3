package promlock_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
	"github.com/brokerlock/brokerlock/promlock"
)

// wrap wraps a with a fresh or given registry and fails the test on error.
func wrap(t *testing.T, a brokerlock.Adapter, reg prometheus.Registerer, opts ...promlock.Option) *promlock.Adapter {
	t.Helper()
	w, err := promlock.Wrap(a, reg, opts...)
	if err != nil {
		t.Fatalf("Wrap: got error %v, want nil", err)
	}
	return w
}

// fixture is a wrapped memadapter handle, its registry, and a second,
// unwrapped handle on the same table standing for another process.
type fixture struct {
	reg     *prometheus.Registry
	wrapped *promlock.Adapter
	lock    *brokerlock.BrokerLock // on wrapped
	other   *memadapter.Adapter
}

func newFixture(t *testing.T, opts ...promlock.Option) fixture {
	t.Helper()
	table := memadapter.New()
	reg := prometheus.NewRegistry()
	w := wrap(t, table, reg, opts...)
	other := table.NewClient()
	t.Cleanup(func() { w.Close(); other.Close() })
	return fixture{reg: reg, wrapped: w, lock: brokerlock.New(w), other: other}
}

// metric returns the series of family name whose labels include labels
// ("k", "v", ...), or nil.
func metric(t *testing.T, g prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				return m
			}
		}
	}
	return nil
}

func hasLabels(m *dto.Metric, labels []string) bool {
	have := map[string]string{}
	for _, p := range m.GetLabel() {
		have[p.GetName()] = p.GetValue()
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if v, ok := have[labels[i]]; !ok || v != labels[i+1] {
			return false
		}
	}
	return true
}

// value returns a counter's or gauge's value, or a histogram's sample
// count; 0 for a missing series.
func value(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	m := metric(t, g, name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	t.Fatalf("%s%v: neither counter, gauge nor histogram", name, labels)
	return 0
}

// want is one expected value: value(name, labels...) == v.
type want struct {
	name   string
	labels []string
	v      float64
}

// wantValues checks each expected value.
func wantValues(t *testing.T, g prometheus.Gatherer, when string, wants ...want) {
	t.Helper()
	for _, w := range wants {
		if got := value(t, g, w.name, w.labels...); got != w.v {
			t.Errorf("%s: %s{%s}: got %v, want %v", when, w.name, strings.Join(w.labels, ","), got, w.v)
		}
	}
}

// eventually polls cond every millisecond until it holds or 5s passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
