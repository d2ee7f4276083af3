// Package faults holds only tests: the etcd adapter's fault suite.
//
// Workers, each with its own etcd client, adapter and fault-injecting TCP
// proxies (go.etcd.io/etcd/pkg/v3/proxy, one per member), contend for one
// lock on a 3-member embedded cluster while members are killed and
// restarted, holders are cut off or paused, keys are deleted and leases
// revoked from outside. Every run is checked for client-view mutual
// exclusion, fenced writes (with a linearizability check of the guarded
// counter by porcupine), leaked keys and goroutines, and liveness after
// each fault heals. See RELIABILITY.md at the repository root.
//
//	go test -race -run TestFaults -v ./etcdadapter/faults/   # a few minutes
//	make soak                                                # BROKERLOCK_SOAK=N: N rounds, both TTL modes
package faults
