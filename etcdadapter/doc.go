// Package etcdadapter is the etcd implementation of brokerlock.Adapter.
//
// Lock id lives under the key prefix P + esc(id) + "/" (LockPrefix), where
// P is the adapter's prefix (default "brokerlock/") and esc turns '%' into
// "%25" and '/' into "%2F". Every holder and waiter is one key directly
// under it, attached to a lease; the key with the lowest create revision
// holds the lock, and its create revision is the fencing token. This is
// the layout of etcd's concurrency.Mutex and of `etcdctl lock`: for ids
// without '/' and '%', concurrency.NewMutex(session, P+id) and
// `etcdctl lock P+id` exclude and are excluded by this package's lock id.
//
// Leases: acquisitions with the same lease TTL share one lease, renewed
// by one goroutine; the lease TTL is whole seconds and the server may
// raise it to its minimum (2s with etcd's defaults). With KeepAlive the
// lease TTL is the lock TTL rounded up; a holder cut off from etcd learns
// of the loss (Done) a safety margin (500ms + 1% of the lease TTL, at most
// a quarter of it) before the server could expire the lease. Without
// KeepAlive a local timer ends the hold exactly TTL after it began, then
// deletes the key; the lease, of about TTL + 1s + that margin, only frees
// the lock of a holder that died.
//
// Every acquisition, waiting or holding, watches its own key from 20ms
// after its put: a delete (an operator's, or its lease revoked) ends it
// with ErrLockLost. These watches are entries on one gRPC watch stream of
// the adapter's (ownkeys.go), one etcd watcher and no goroutine each. A
// lock's waiter with at most 8 keys ahead also watches those and its own
// in one watch of the range they span: its events come in revision
// order, so when the last key ahead is deleted with no delete of its own
// key before, it holds, without another read; a waiter further back
// watches the key just before its own, and reads when that goes.
// Semaphores, RWLocks and Elections use the same keys and leases; only
// the admission rule and the watch differ (wait.go): a semaphore permit
// holds with fewer than its limit of keys ahead (the first waiter alone
// watches the holders), an RWLock reader with no writer's key ahead (it
// watches the nearest writer), and an election candidate's key holds its
// value, etcd's Election layout, with the head of the queue as the
// leader (Head, WatchHead). Waiters' and WatchHead's watches are on the
// same stream, relayed to their readers (relay.go). The stream is probed
// every second while it is open (a watch that sees nothing is created
// and cancelled): if the member it is on goes silent, every watch moves
// to a new stream within about two seconds instead of waiting for gRPC's
// keepalive; the stream stays open a second or two after its last watch
// ends, so that a process's next wait does not open a new one.
// A late or retried release never frees a newer holder: a key's name
// (lease and slot) is given to a new acquisition only once a delete of it
// was answered with nothing else outstanding, and once a delete's outcome
// is unknown the name is retired and retries delete only at the key's own
// create revision. A put whose outcome is unknown retires its lease: it
// is revoked once its last acquisition ends, so a put that lands late
// cannot leave a key nobody owns.
//
// Group commit (batch.go): a put or a release sent while none of the
// adapter's is in flight goes at once, alone; those that come meanwhile
// go together in the next txn, one nested txn or delete each, at most one
// per lock (a txn's keys share a create revision). A txn etcd refuses is
// sent again write by write.
package etcdadapter
