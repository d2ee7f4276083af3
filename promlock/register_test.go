package promlock_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
	"github.com/brokerlock/brokerlock/promlock"
)

// exercise makes every metric family appear: an acquired and released
// hold, a lost one, and a failed IsReserved after Close.
func exercise(t *testing.T, f fixture, id string) {
	t.Helper()
	ctx := t.Context()
	it := f.lock.Item(id, brokerlock.Options{})
	h, err := it.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatalf("Release: got error %v, want nil", err)
	}
	if _, err = it.Hold(ctx); err != nil {
		t.Fatalf("second Hold: got error %v, want the lock", err)
	}
	f.other.Revoke(id)
	if err := f.wrapped.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	if _, err := it.IsReserved(ctx); !errors.Is(err, brokerlock.ErrClosed) {
		t.Fatalf("IsReserved after Close: got error %v, want ErrClosed", err)
	}
}

// The metrics have the documented names, no id label by default, and
// pass Prometheus' own linter.
func TestMetricNames(t *testing.T) {
	f := newFixture(t)
	exercise(t, f, "job")
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	var names []string
	for _, mf := range families {
		names = append(names, mf.GetName())
		for _, m := range mf.GetMetric() {
			if hasLabels(m, []string{"id", "job"}) {
				t.Errorf("%s has an id label without WithIDLabel", mf.GetName())
			}
		}
	}
	wantNames := []string{acquisitions, waits, errorsTotal, durations, inProgress, losses, releases}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("metric names: got %v, want %v", names, wantNames)
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil || len(problems) != 0 {
		t.Errorf("promlint: got %v, %v; want no problems", problems, err)
	}
}

// Before any event, every result of acquisitions and releases has a
// series at 0, so rates and alerts work from the start.
func TestSeriesPresetToZero(t *testing.T) {
	f := newFixture(t)
	for name, want := range map[string]int{acquisitions: 7, releases: 3, inProgress: 1, losses: 1, waits: 0} {
		if got, err := testutil.GatherAndCount(f.reg, name); err != nil || got != want {
			t.Errorf("series of %s before any event: got %d (%v), want %d", name, got, err, want)
		}
	}
}

// WithNamespace prefixes the names and WithConstLabels labels every
// series.
func TestNamespaceAndConstLabels(t *testing.T) {
	f := newFixture(t, promlock.WithNamespace("myapp"), promlock.WithConstLabels(prometheus.Labels{"cluster": "eu-1"}))
	exercise(t, f, "job")
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if len(families) != 7 {
		t.Errorf("families: got %d, want 7", len(families))
	}
	for _, mf := range families {
		if !strings.HasPrefix(mf.GetName(), "myapp_brokerlock_") {
			t.Errorf("name %q: want prefix myapp_brokerlock_", mf.GetName())
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, []string{"cluster", "eu-1"}) {
				t.Errorf("%s: got labels %v, want cluster=eu-1", mf.GetName(), m.GetLabel())
			}
		}
	}
}

// WithIDLabel labels every per-lock series with its lock id, one series
// per id; errors_total stays without it.
func TestIDLabel(t *testing.T) {
	f := newFixture(t, promlock.WithIDLabel())
	ctx := t.Context()
	for _, id := range []string{"a", "b", "b"} {
		h, err := f.lock.Item(id, brokerlock.Options{}).Hold(ctx)
		if err != nil {
			t.Fatalf("Hold(%q): got error %v, want the lock", id, err)
		}
		if err := h.Release(ctx); err != nil {
			t.Fatalf("Release(%q): got error %v, want nil", id, err)
		}
	}
	wantValues(t, f.reg, "after holds of a, b, b",
		want{acquisitions, []string{"result", "acquired", "id", "a"}, 1},
		want{acquisitions, []string{"result", "acquired", "id", "b"}, 2},
		want{releases, []string{"result", "ok", "id", "b"}, 2},
		want{durations, []string{"end", "released", "id", "a"}, 1})
	if got, err := testutil.GatherAndCount(f.reg, acquisitions); err != nil || got != 2 {
		t.Errorf("series of %s: got %d (%v), want 2 (one per id, none preset)", acquisitions, got, err)
	}
}

// Two wrappers with the same options on one registry share the
// collectors: both count into the same series.
func TestWrappersShareRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	table := memadapter.New()
	first := wrap(t, table, reg)
	second := wrap(t, table.NewClient(), reg)
	t.Cleanup(func() { first.Close(); second.Close() })
	for _, a := range []*promlock.Adapter{first, second} {
		if _, err := brokerlock.New(a).Item("job", brokerlock.Options{}).TryHold(t.Context()); err != nil && !errors.Is(err, brokerlock.ErrLocked) {
			t.Fatalf("TryHold: got error %v, want the lock or ErrLocked", err)
		}
	}
	wantValues(t, reg, "after a TryHold through each wrapper",
		want{acquisitions, []string{"result", "acquired"}, 1},
		want{acquisitions, []string{"result", "locked"}, 1},
		want{inProgress, nil, 1})
}

// A registry that refuses one collector fails Wrap with the registry's
// error, and none of Wrap's collectors stays registered.
func TestRegistryConflictRollsBack(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: losses, Help: "something else"}))
	a := memadapter.New()
	defer a.Close()
	w, err := promlock.Wrap(a, reg)
	if err == nil {
		w.Close()
		t.Fatalf("Wrap on a registry with a conflicting %s: got nil error, want the registry's", losses)
	}
	if got, err := testutil.GatherAndCount(reg); err != nil || got != 1 {
		t.Errorf("series after the failed Wrap: got %d (%v), want 1 (the other gauge only)", got, err)
	}
	clash := prometheus.Labels{"result": "x"} // also a variable label
	if w, err := promlock.Wrap(a, prometheus.NewRegistry(), promlock.WithConstLabels(clash)); err == nil {
		w.Close()
		t.Errorf("Wrap with const labels %v: got nil error, want the registry's", clash)
	}
}

// Nil arguments and bad buckets fail with ErrInvalid, naming the culprit.
func TestWrapInvalidArguments(t *testing.T) {
	a := memadapter.New()
	defer a.Close()
	reg := prometheus.NewRegistry()
	for _, tc := range []struct {
		name    string
		adapter brokerlock.Adapter
		reg     prometheus.Registerer
		opts    []promlock.Option
		naming  string
	}{
		{"nil adapter", nil, reg, nil, "<nil>"},
		{"nil registerer", a, nil, nil, "<nil>"},
		{"no wait buckets", a, reg, []promlock.Option{promlock.WithWaitBuckets()}, "WithWaitBuckets"},
		{"decreasing hold buckets", a, reg, []promlock.Option{promlock.WithHoldBuckets(2, 1)}, "WithHoldBuckets[2 1]"},
	} {
		_, err := promlock.Wrap(tc.adapter, tc.reg, tc.opts...)
		if !errors.Is(err, promlock.ErrInvalid) || !strings.Contains(err.Error(), tc.naming) {
			t.Errorf("%s: got error %v, want ErrInvalid naming %q", tc.name, err, tc.naming)
		}
	}
	if got, err := testutil.GatherAndCount(reg); err != nil || got != 0 {
		t.Errorf("series after failed Wraps: got %d (%v), want 0", got, err)
	}
}

// A nil Option changes nothing (no panic).
func TestWrapNilOption(t *testing.T) {
	a := memadapter.New()
	defer a.Close()
	if _, err := promlock.Wrap(a, prometheus.NewRegistry(), nil); err != nil {
		t.Errorf("Wrap with a nil Option: got error %v, want nil", err)
	}
}
