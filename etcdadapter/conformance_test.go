package etcdadapter_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
)

// TestConformance runs the suite with every adapter on its own client, as
// separate processes would be.
func TestConformance(t *testing.T) {
	brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
		return newAdapter(t, "conformance/")
	})
}
