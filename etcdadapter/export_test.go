package etcdadapter

import pb "go.etcd.io/etcd/api/v3/etcdserverpb"

// PauseWrites makes a's writes queue as if a txn of its were in flight.
// queued is told of each write that joins the queue; resume ends the
// pretended txn, which sends the queue as it would.
func PauseWrites(a *Adapter) (queued <-chan struct{}, resume func()) {
	ch := make(chan struct{}, 100)
	b := &a.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enqueued = ch
	b.sending = maxSending
	return ch, b.sent
}

// LeaseID is the id of the lease a's holds of ttlSeconds are put on.
func LeaseID(a *Adapter, ttlSeconds int64) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int64(a.leases[ttlSeconds].l.id)
}

// WaitBuffer is how many responses a waiter's relayed watch keeps for its
// reader.
const WaitBuffer = waitBuffer

// RelayPrefix relays, from a's stream, a watch of the puts and deletes of
// the keys that begin with key, from the current revision, with a
// waiter's buffer.
func RelayPrefix(a *Adapter, key string) (<-chan *pb.WatchResponse, func()) {
	return a.own.relay(key, prefixEnd(key), 0, true, waitBuffer)
}

// Relayed is how many relayed watches a has.
func Relayed(a *Adapter) int {
	a.own.mu.Lock()
	defer a.own.mu.Unlock()
	return len(a.own.relayed)
}

// WatchIDsKept reports whether a's open watch stream found that its
// server keeps the watch IDs it is given (creates then go back to back).
func WatchIDsKept(a *Adapter) bool {
	a.own.mu.Lock()
	defer a.own.mu.Unlock()
	return a.own.ids == idsKept
}
