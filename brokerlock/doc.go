// Package brokerlock gives Go programs Deepkit's BrokerLock: named locks
// that only one process at a time can hold, across pods and machines.
//
// The backend seam (decided before v1): Adapter, Acquisition and Request
// are what an adapter implements, not what an application calls; an
// application only hands an Adapter to New. They stay in this package
// rather than in a driver package of their own (as database/sql/driver):
// every adapter and wrapper that implements them lives in this module, a
// driver package would make each of them import two packages and keep
// brokerlock.Adapter as an alias, and users would see no difference.
// Extension methods are optional interfaces that a wrapper forwards by
// implementing them, without Unwrap: Inspector (Item.Inspect) is one, and
// promlock forwards it. etcdadapter's List and ForceRelease act on etcd's
// keys across locks, not on one lock, and stay methods of etcdadapter,
// reached through a wrapper's Unwrap. Hold repeats some of Acquisition's
// methods on purpose: it is the caller's handle (Release once, errors that
// name the lock), Acquisition the adapter's.
//
// A BrokerLock makes Items on an Adapter (etcdadapter for real use,
// memadapter for tests). An Item is one lock id with its Options. On etcd
// each acquisition is one key under the lock's prefix, attached to a lease
// whose TTL comes from the Options; keys hold the lock in the order they
// were created (FIFO), each waiter watching only the key before its own.
// Hold waits at most Options.Timeout; TryHold does not wait.
//
// A hold lasts until Release, or at most TTL without KeepAlive: the lock
// is then released even if the holder is still working, as in Deepkit.
// With KeepAlive it is renewed while held, and TTL only bounds how long a
// crashed or cut-off holder blocks the others. Every hold carries a
// fencing token (Token) that is strictly greater than the token of every
// earlier holder of the same lock.
//
// A lock can be lost: TTL passed, the key was deleted, the lease expired,
// or the server was out of reach for too long. Done closes (and Err wraps
// ErrLockLost): when the TTL passes or the lease cannot be renewed, before
// anyone else can acquire the lock; when an operator deletes the key or
// revokes the lease, the server frees the lock at once and the holder
// hears of it a moment later. A holder must therefore stop the guarded
// work when Done closes (Do cancels its fn's ctx), and should guard writes
// to shared state with its Token, because a paused process may act after
// its lock has gone (for etcd: etcdadapter.IsOwner in the write's txn).
//
// Nothing is left behind: a timed-out, cancelled or failed acquisition and
// a released hold remove their key, also when the caller's ctx is done.
// When that removal fails (the backend unreachable), the adapter retries
// it in the background until it succeeds or the adapter is closed; etcd's
// Close revokes the adapter's leases, which takes their keys along, and a
// lease nobody renews expires with its keys after its TTL.
//
// The same queue carries leader election. An Election is one queue of
// candidates whose keys hold their values (etcd's own Election layout,
// so `etcdctl elect` and concurrency.Election take part): Campaign waits
// until the candidate is first and returns its Term, with a fencing
// Token, Done/Err as a Hold has them (told before the server could elect
// the next leader when the lease cannot be renewed), Proclaim (a fenced
// change of its value) and Resign (the next candidate leads at once).
// Leader and Observe tell anyone who leads. Run is the loop a replicated
// service embeds: campaign, lead while fn runs with a ctx cancelled on
// loss, campaign again after a lost term, resign when fn returns. A term
// can be lost like a hold, so the leader must stop when Done closes and
// fence its writes with Token.
//
// A Semaphore and an RWLock are the same queue with other admission rules:
// a Semaphore permit holds while fewer than its limit of keys are ahead of
// it (FIFO: a later arrival never overtakes), an RWLock reader while no
// writer's key is ahead of it, a writer while nothing is. Their holds are
// Holds, with a token each, and everything above applies to each of them.
package brokerlock
