package etcdadapter

import (
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Waiters and WatchHead watch on the adapter's own stream too (ownkeys.go),
// probed like the own keys' watches, so a member gone silent is left
// within about probeInterval + probeTimeout. Such a watch is relayed: an
// entry in a map and a buffered channel, to which the stream's receiving
// goroutine hands the watch's responses, one goroutine handoff per event
// (clientv3's Watch takes three, and a goroutine per watch). Unlike an own
// key's watch, a relayed one is not resumed when the stream breaks: its
// channel is closed, and its owner watches anew and reads again (a
// waiter's read says whether its watch still fits, WatchHead's what the
// head is).

// How many responses a relayed watch keeps for its reader: the watch of a
// reader that falls further behind ends (its channel is closed, as if the
// stream broke), and the reader reads again. A waiter's watch sees the
// deletes of a few keys (a Semaphore's first waiter, of the holders);
// WatchHead's every put and delete of the lock's keys, and its reader
// reads after a delete of the head, while a herd of candidates may put
// theirs.
const (
	waitBuffer = 64
	headBuffer = 1024
)

// relayedWatch is one relayed watch: its create request and its channel.
type relayedWatch struct {
	req *pb.WatchCreateRequest
	ch  chan *pb.WatchResponse
}

// relay watches key (up to end, unless end is "") for deletes, and puts
// if puts, from revision from (0: the revision when etcd creates it), and
// returns its responses and stop, which ends the watch. The first
// response confirms its creation (Created, with the revision it starts
// after in its header) or refuses it (Canceled). The channel is closed
// when the watch ends otherwise: the stream broke or was found silent,
// etcd cancelled the watch, the reader fell buffer responses behind, or
// the adapter closed. Events come in revision order, each revision's all
// in one response.
func (m *ownKeys) relay(key, end string, from int64, puts bool, buffer int) (<-chan *pb.WatchResponse, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastID++
	id := m.lastID
	var filters []pb.WatchCreateRequest_FilterType
	if !puts {
		filters = append(filters, pb.WatchCreateRequest_NOPUT)
	}
	w := &relayedWatch{ch: make(chan *pb.WatchResponse, buffer), req: watchCreate(id, key, end, from, filters...)}
	if !m.runLocked() { // closed
		close(w.ch)
		return w.ch, func() {}
	}
	m.relayed[id] = w
	m.queueCreateLocked(w.req)
	return w.ch, sync.OnceFunc(func() { m.unrelay(id) })
}

// unrelay ends relayed watch id, unless it ended already; its channel
// stays open (its reader stops reading).
func (m *ownKeys) unrelay(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	forgetLocked(m, m.relayed, id)
}

// relayLocked (m.mu held) hands resp to relayed watch id's reader,
// unless it has nothing for it (a progress notice). A watch that etcd
// cancelled, or whose reader fell behind, ends: its channel is closed
// (and etcd told to cancel it, unless etcd refused its creation).
func (m *ownKeys) relayLocked(id int64, w *relayedWatch, resp *pb.WatchResponse) {
	if len(resp.Events) == 0 && !resp.Created && !resp.Canceled {
		return
	}
	select {
	case w.ch <- resp:
		if !resp.Canceled {
			return
		}
	default: // behind
	}
	delete(m.relayed, id)
	close(w.ch)
	if !resp.Created || !resp.Canceled {
		m.queueCancelLocked(id)
	}
}

// endRelayedLocked (m.mu held) ends every relayed watch, as the stream
// they are on closes.
func (m *ownKeys) endRelayedLocked() {
	for id, w := range m.relayed {
		delete(m.relayed, id)
		close(w.ch)
	}
}

// prefixEnd is the end of the range of keys that begin with key.
func prefixEnd(key string) string { return clientv3.GetPrefixRangeEnd(key) }

// refusal is the error of a watch etcd refused or cancelled (resp
// Canceled), as clientv3 gives it: etcd's typed error where it has one.
func refusal(resp *pb.WatchResponse) error {
	if resp.CompactRevision != 0 {
		return rpctypes.ErrCompacted
	}
	if resp.CancelReason == "" {
		return rpctypes.ErrFutureRev
	}
	return rpctypes.Error(status.Error(codes.FailedPrecondition, resp.CancelReason))
}
