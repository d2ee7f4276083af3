package promlock

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Option configures Wrap.
type Option func(*config)

// config is what the options set.
type config struct {
	namespace   string
	constLabels prometheus.Labels
	idLabel     bool
	waitBuckets []float64
	holdBuckets []float64
}

// Default histogram buckets, in seconds.
var (
	// DefaultWaitBuckets are brokerlock_acquire_wait_seconds' buckets:
	// 1ms to brokerlock.DefaultTimeout and beyond.
	DefaultWaitBuckets = []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60}
	// DefaultHoldBuckets are brokerlock_hold_duration_seconds' buckets:
	// 10ms to a day.
	DefaultHoldBuckets = []float64{.01, .1, .5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 6 * 3600, 24 * 3600}
)

// WithNamespace prefixes every metric name with namespace and "_":
// WithNamespace("myapp") gives myapp_brokerlock_acquisitions_total.
func WithNamespace(namespace string) Option {
	return func(c *config) { c.namespace = namespace }
}

// WithConstLabels adds labels with fixed values to every series, e.g.
// {"cluster": "eu-1"} when one process wraps adapters of two clusters on
// one registry.
func WithConstLabels(labels prometheus.Labels) Option {
	return func(c *config) { c.constLabels = labels }
}

// WithIDLabel adds the label "id", the lock id, to every per-lock metric
// (all but brokerlock_errors_total). Every id then makes series of its
// own, so use it only when the set of ids is small and fixed: never with
// ids made from user input, tenants or job runs.
func WithIDLabel() Option {
	return func(c *config) { c.idLabel = true }
}

// WithWaitBuckets sets the buckets of brokerlock_acquire_wait_seconds, in
// seconds, strictly increasing; default DefaultWaitBuckets.
func WithWaitBuckets(buckets ...float64) Option {
	return func(c *config) { c.waitBuckets = buckets }
}

// WithHoldBuckets sets the buckets of brokerlock_hold_duration_seconds, in
// seconds, strictly increasing; default DefaultHoldBuckets.
func WithHoldBuckets(buckets ...float64) Option {
	return func(c *config) { c.holdBuckets = buckets }
}

// newConfig applies opts to the defaults and checks the buckets; names
// and labels are checked by the registry.
func newConfig(opts []Option) (config, error) {
	c := config{waitBuckets: DefaultWaitBuckets, holdBuckets: DefaultHoldBuckets}
	for _, o := range opts {
		if o != nil { // a nil Option changes nothing
			o(&c)
		}
	}
	if err := checkBuckets("WithWaitBuckets", c.waitBuckets); err != nil {
		return c, err
	}
	return c, checkBuckets("WithHoldBuckets", c.holdBuckets)
}

// checkBuckets wants a non-empty, strictly increasing list, which
// prometheus would otherwise panic on.
func checkBuckets(option string, buckets []float64) error {
	if len(buckets) == 0 {
		return fmt.Errorf("%w: %s(): want at least one bucket", ErrInvalid, option)
	}
	for i := 1; i < len(buckets); i++ {
		if buckets[i] <= buckets[i-1] {
			return fmt.Errorf("%w: %s%v: want strictly increasing buckets", ErrInvalid, option, buckets)
		}
	}
	return nil
}
