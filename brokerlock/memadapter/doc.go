// Package memadapter is an in-process brokerlock.Adapter for unit tests:
// the same semantics as the etcd adapter, without a server.
//
// Per lock id there is a FIFO queue whose head holds the lock. Fencing
// tokens come from one counter per table, so they strictly increase. A
// hold without KeepAlive ends TTL after it was acquired or last refreshed:
// its Done closes with an error wrapping brokerlock.ErrLockLost before the
// next waiter gets the lock. A KeepAlive hold never expires. A cancelled
// or timed-out wait leaves nothing queued.
//
// New makes a lock table and a first handle on it; NewClient makes more
// handles on the same table, the way several processes each have an etcd
// client on one cluster. Closing a handle ends only that handle's holds
// (with an error wrapping both brokerlock.ErrLockLost and
// brokerlock.ErrClosed) and wakes only its waiters.
//
// Two methods serve tests of code that takes locks: Revoke takes a lock
// away from its holder, as an operator deleting the etcd key would, to
// exercise loss handling; Waiters counts the calls queued for a lock, so
// that a test can wait until a worker is queued instead of sleeping.
//
// The package starts no goroutines of its own: waits run in the caller's
// goroutine and TTLs on time.AfterFunc timers, which Release, Revoke and
// Close stop.
package memadapter
