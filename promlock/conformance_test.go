package promlock_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// The wrapper keeps every promise of brokerlock.Adapter: the conformance
// suite on wrapped memadapter handles, all counting into one registry as
// the wrappers of one process would.
func TestConformance(t *testing.T) {
	table := memadapter.New()
	t.Cleanup(func() { table.Close() })
	reg := prometheus.NewRegistry()
	brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
		a := wrap(t, table.NewClient(), reg)
		t.Cleanup(func() { a.Close() })
		return a
	})
}
