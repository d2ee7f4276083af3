package promlock

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// register registers every collector of m with reg. A collector equal to
// one already registered (same name, labels and help, as from an earlier
// Wrap with the same options) is replaced by the registered one, so both
// wrappers count into the same series. On an error nothing that this call
// registered stays registered.
func (m *metrics) register(reg prometheus.Registerer) error {
	r := registrar{reg: reg}
	use(&r, &m.acquisitions)
	use(&r, &m.wait)
	use(&r, &m.inProgress)
	use(&r, &m.holdDuration)
	use(&r, &m.losses)
	use(&r, &m.releases)
	use(&r, &m.errors)
	use(&r, &m.leader)
	use(&r, &m.terms)
	use(&r, &m.campaign)
	if r.err != nil {
		r.rollback()
		return fmt.Errorf("promlock: register metrics: %w", r.err)
	}
	return nil
}

// registrar registers collectors until the first error.
type registrar struct {
	reg   prometheus.Registerer
	added []prometheus.Collector // registered by this registrar
	err   error
}

// use registers *c, or points *c at the equal collector already
// registered.
func use[C prometheus.Collector](r *registrar, c *C) {
	if r.err != nil {
		return
	}
	err := r.reg.Register(*c)
	if err == nil {
		r.added = append(r.added, *c)
		return
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			*c = existing
			return
		}
	}
	r.err = err
}

// rollback unregisters what this registrar registered.
func (r *registrar) rollback() {
	for _, c := range r.added {
		r.reg.Unregister(c)
	}
}
