package promlock_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// Inspect passes through to an Inspector: the holder it reports is the
// hold taken through the wrapper.
func TestInspectPassesThrough(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	it := f.lock.Item("job", brokerlock.Options{Label: "nightly"})
	h, err := it.Hold(ctx)
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	defer h.Release(ctx)
	info, err := it.Inspect(ctx)
	if err != nil || info.Holder == nil || info.Holder.Token != h.Token() || info.Holder.Label != "nightly" {
		t.Fatalf("Inspect: got %+v, %v; want holder with token %d, label nightly", info.Holder, err, h.Token())
	}
}

// notInspector hides memadapter's Inspect.
type notInspector struct{ brokerlock.Adapter }

// Inspect through a wrapper of an adapter that cannot inspect fails with
// errors.ErrUnsupported, as Item.Inspect does on such an adapter itself.
func TestInspectUnsupported(t *testing.T) {
	a := memadapter.New()
	w := wrap(t, notInspector{a}, prometheus.NewRegistry())
	defer w.Close()
	_, err := brokerlock.New(w).Item("job", brokerlock.Options{}).Inspect(t.Context())
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Inspect: got error %v, want errors.ErrUnsupported", err)
	}
	if got := w.Unwrap(); got != (notInspector{a}) {
		t.Errorf("Unwrap: got %v, want the wrapped adapter", got)
	}
}
