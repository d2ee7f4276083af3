package promlock

import (
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collectors of one Wrap. Label values come in the order
// of the label names below, the lock id last when idLabel is set.
type metrics struct {
	idLabel      bool
	acquisitions *prometheus.CounterVec   // result
	wait         *prometheus.HistogramVec // result
	inProgress   *prometheus.GaugeVec     // (no label but id)
	holdDuration *prometheus.HistogramVec // end
	losses       *prometheus.CounterVec   // (no label but id)
	releases     *prometheus.CounterVec   // result
	errors       *prometheus.CounterVec   // op, kind; never id

	// Elections, always by election name (elections are few and fixed).
	leader   *prometheus.GaugeVec     // election
	terms    *prometheus.CounterVec   // election, end
	campaign *prometheus.HistogramVec // election, result
}

// newMetrics makes the collectors; register registers them.
func newMetrics(c config) *metrics {
	labels := func(names ...string) []string {
		names = append([]string{"primitive"}, names...)
		if c.idLabel {
			return append(names, "id")
		}
		return names
	}
	counter := func(name, help string, names ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: c.namespace, Subsystem: subsystem,
			Name: name, Help: help, ConstLabels: c.constLabels}, names)
	}
	histogram := func(name, help string, buckets []float64, names ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: c.namespace, Subsystem: subsystem,
			Name: name, Help: help, ConstLabels: c.constLabels, Buckets: buckets}, names)
	}
	return &metrics{
		idLabel:      c.idLabel,
		acquisitions: counter("acquisitions_total", helpAcquisitions, labels("result")...),
		wait:         histogram("acquire_wait_seconds", helpWait, c.waitBuckets, labels("result")...),
		inProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: c.namespace, Subsystem: subsystem,
			Name: "holds_in_progress", Help: helpInProgress, ConstLabels: c.constLabels}, labels()),
		holdDuration: histogram("hold_duration_seconds", helpHoldDuration, c.holdBuckets, labels("end")...),
		losses:       counter("losses_total", helpLosses, labels()...),
		releases:     counter("releases_total", helpReleases, labels("result")...),
		errors:       counter("errors_total", helpErrors, "op", "kind"),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: c.namespace, Subsystem: subsystem,
			Name: "election_leader", Help: helpLeader, ConstLabels: c.constLabels}, []string{"election"}),
		terms:    counter("election_terms_total", helpTerms, "election", "end"),
		campaign: histogram("election_campaign_seconds", helpCampaign, DefaultCampaignBuckets, "election", "result"),
	}
}

// DefaultCampaignBuckets are brokerlock_election_campaign_seconds'
// buckets: a standby may campaign for days.
var DefaultCampaignBuckets = []float64{.001, .01, .1, 1, 10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600}

// campaigned records a Campaign that returned result after wait; a won
// one makes this process the election's leader.
func (m *metrics) campaigned(election, result string, wait time.Duration) {
	m.campaign.WithLabelValues(election, result).Observe(wait.Seconds())
	if result == resultAcquired {
		m.leader.WithLabelValues(election).Inc()
	}
}

// termEnded records the end of a term.
func (m *metrics) termEnded(election, end string) {
	m.leader.WithLabelValues(election).Dec()
	m.terms.WithLabelValues(election, end).Inc()
}

// subsystem is the part of every name after the namespace.
const subsystem = "brokerlock"

// The metrics' help texts.
const (
	helpAcquisitions = "Acquire calls that returned, by result: acquired, locked (TryHold found it held), timeout, " +
		"canceled, lost (its place in the queue vanished), closed (adapter closed), error."
	helpWait         = "Time spent in Acquire, by result (see brokerlock_acquisitions_total)."
	helpInProgress   = "Holds acquired and not yet ended."
	helpHoldDuration = "Time from acquisition to the hold's end, by end: released, lost, closed (adapter closed while held)."
	helpLosses       = "Holds that ended without Release while the adapter was open: TTL passed, key deleted, " +
		"lease expired or revoked, server out of reach."
	helpReleases = "Releases of holds, by result: ok, lost (the hold had been lost before), error (the server could not be reached)."
	helpLeader   = "1 while this process leads the election (as client-go's leader_election_master_status), else 0."
	helpTerms    = "Terms this process led that ended, by end: released (resigned), lost, closed (adapter closed while leading)."
	helpCampaign = "Time spent in Campaign, by result (acquired: elected; see brokerlock_acquisitions_total)."
	helpErrors   = "Failed calls other than Acquire and Release, by op (is_reserved, inspect, refresh, close) " +
		"and kind (timeout, canceled, lost, released, closed, error)."
)

// values returns label values for lock id of kind: kind, values, then id
// if labelled.
func (m *metrics) values(kind brokerlock.Kind, id string, values ...string) []string {
	values = append([]string{kindValue(kind)}, values...)
	if m.idLabel {
		return append(values, id)
	}
	return values
}

// kindValue is the kind label's value: "lock" for a Request that names
// none (an adapter called directly).
func kindValue(kind brokerlock.Kind) string {
	if kind == "" {
		return string(brokerlock.KindLock)
	}
	return string(kind)
}

// preset creates the series of every result with value 0, so that rates
// and alerts work before the first event. Without the id label only: with
// it, series appear with their ids.
func (m *metrics) preset() {
	if m.idLabel {
		return
	}
	for _, r := range acquireResults {
		m.acquisitions.WithLabelValues(string(brokerlock.KindLock), r)
	}
	for _, r := range releaseResults {
		m.releases.WithLabelValues(string(brokerlock.KindLock), r)
	}
	m.inProgress.WithLabelValues(string(brokerlock.KindLock))
	m.losses.WithLabelValues(string(brokerlock.KindLock))
}

// acquired records an Acquire call that returned result after wait.
func (m *metrics) acquired(kind brokerlock.Kind, id, result string, wait time.Duration) {
	m.acquisitions.WithLabelValues(m.values(kind, id, result)...).Inc()
	m.wait.WithLabelValues(m.values(kind, id, result)...).Observe(wait.Seconds())
	if result == resultAcquired {
		m.inProgress.WithLabelValues(m.values(kind, id)...).Inc()
	}
}

// ended records the end of a hold that lasted d.
func (m *metrics) ended(kind brokerlock.Kind, id, end string, d time.Duration) {
	m.inProgress.WithLabelValues(m.values(kind, id)...).Dec()
	m.holdDuration.WithLabelValues(m.values(kind, id, end)...).Observe(d.Seconds())
	if end == endLost {
		m.losses.WithLabelValues(m.values(kind, id)...).Inc()
	}
}

// released records the first Release of a hold.
func (m *metrics) released(kind brokerlock.Kind, id, result string) {
	m.releases.WithLabelValues(m.values(kind, id, result)...).Inc()
}

// failed records a failed call of op.
func (m *metrics) failed(op, kind string) {
	m.errors.WithLabelValues(op, kind).Inc()
}
