// Package promlock exports Prometheus metrics of brokerlock's locks: how
// often acquisitions succeed or fail and why, how long callers wait, how
// many holds are live, how long they last, and how many are lost.
//
// Wrap decorates any brokerlock.Adapter (etcdadapter, memadapter, your
// own) and registers its collectors with a prometheus.Registerer; hand the
// wrapper to brokerlock.New instead of the adapter. The wrapper changes no
// behaviour: every call goes to the wrapped adapter, and its results and
// errors come back unchanged, so it keeps every promise that brokerlocktest
// checks. It records each Acquire when it returns, classifying its error
// with errors.Is (ErrLocked, ErrLockLost, ErrClosed, context deadline or
// cancellation); it records a hold's end when the hold's Done closes,
// which is how a loss is noticed even if the holder never calls Release.
// For that each live hold has one goroutine, owned by the wrapper: it ends
// when the hold ends, Release waits for it, and Close waits for all of
// them, so no goroutine outlives Close. A hold that the adapter's Close
// ends counts as end="closed", not as a loss, so that deploys do not trip
// loss alerts.
//
// Series are labelled by result only: lock ids are unbounded, so the id
// label is opt-in (WithIDLabel). Names are brokerlock_*, or
// NAMESPACE_brokerlock_* with WithNamespace. Wrapping several adapters
// with the same options on one registry shares the collectors.
package promlock
