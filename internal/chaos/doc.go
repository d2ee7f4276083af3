// Package chaos is the real-process fault harness (`make chaos`,
// RELIABILITY.md): what the in-process fault suite (etcdadapter/faults)
// simulates, it does with real parts.
//
// A run (Execute) builds test hosts in network namespaces on one bridge
// (Net; a small subnet the root namespace blackholes, so no packet leaves
// the machine), starts a 3-member cluster of real etcd processes on them
// (Cluster) and a few worker processes (Fleet, cmd/chaosworker) that
// contend for one lock, semaphore, RW lock or election and log every call
// and return as JSON lines (Event). It injects the Scenarios one after the
// other: SIGKILL and SIGSTOP of workers and members, partitions between
// members, between workers and members, one-way and flapping. Then it
// stops the workers, reads the server's own history of the run's keys
// (ReadServerHistory) and checks both (Check): client-view exclusion,
// fenced writes admitted by the primitive's rule at their revision, the
// counter's linearizability (porcupine), torn RW reads, keys left behind,
// and liveness after every heal. The report is Markdown with an SVG
// timeline per run (Markdown, WriteTimeline).
package chaos
