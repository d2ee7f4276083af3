package etcdadapter

import (
	"slices"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// Watch IDs on the adapter's stream (ownkeys.go). etcd, since 3.4, keeps
// the ID a client gives a watch, so creates are sent back to back and
// every response names our watch. A server that numbers watches itself
// (etcd's gRPC proxy, etcd before 3.4) gives its own ID in the create's
// confirmation, and a proxy confirms a watch that joins one it already
// runs at once, ahead of creates still waiting for etcd: confirmations
// then say nothing about which create they answer unless only one is in
// flight. So each stream starts with one create in flight; its
// confirmation tells which kind of server it is: ours kept, creates are
// sent back to back from then on; otherwise they go one at a time, each
// confirmation mapping the server's ID to ours, and a cancel waits for its
// watch's confirmation, to go out under the server's ID.
type idMode int

const (
	idsUnknown idMode = iota // no create confirmed on this stream yet
	idsKept                  // the server keeps our IDs: creates back to back
	idsForeign               // the server numbers watches: one create at a time
)

// firstID is above the IDs that a server numbering its watches from 0
// would give (one per watch on one stream), so that its ID never equals
// ours by chance and the first confirmation tells the modes apart.
const firstID = 1 << 40

// takePending (m.mu not held) takes what may be sent now: everything
// while the server keeps our IDs; otherwise nothing while a create is in
// flight, else up to and including the next create. Cancels get the
// server's ID. probe reports whether the probe's create is among them.
func (m *ownKeys) takePending() (reqs []*pb.WatchRequest, probe bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.pending)
	if m.ids != idsKept {
		n = m.oneCreateLocked()
	}
	reqs = slices.Clone(m.pending[:n])
	m.pending = m.pending[n:]
	for _, req := range reqs {
		if c := req.GetCancelRequest(); c != nil {
			c.WatchId = m.serverIDLocked(c.WatchId)
			m.cancelSentLocked(c.WatchId)
		}
		probe = probe || req.GetCreateRequest().GetWatchId() == m.probe && m.probe != 0
	}
	return reqs, probe
}

// oneCreateLocked (m.mu held) is how many pending requests may go while
// creates go one at a time, marking the create among them in flight.
func (m *ownKeys) oneCreateLocked() int {
	if !m.inFlight.IsZero() {
		return 0
	}
	i := slices.IndexFunc(m.pending, func(r *pb.WatchRequest) bool { return r.GetCreateRequest() != nil })
	if i < 0 {
		return len(m.pending)
	}
	m.inFlight = time.Now()
	return i + 1
}

// serverIDLocked (m.mu held) is the ID the server knows watch id by.
func (m *ownKeys) serverIDLocked(id int64) int64 {
	if sid, ok := m.serverID[id]; ok {
		return sid
	}
	return id
}

// cancelSentLocked (m.mu held) notes that the cancel of the watch the
// server knows as sid is going out, where the server numbers watches.
func (m *ownKeys) cancelSentLocked(sid int64) {
	if _, mapped := m.ourID[sid]; mapped {
		if m.cancelSent == nil {
			m.cancelSent = map[int64]bool{}
		}
		m.cancelSent[sid] = true
	}
}

// ourIDLocked (m.mu held) is our ID of the watch resp is about; a
// confirmation is of the oldest create unconfirmed (confirmed ones: watch
// ID -1 if refused), and maps the server's ID to ours where they differ.
// A mapping ends when the server confirms a cancel we sent: until then
// the watch's events in flight must not be taken for another watch's,
// and a cancel of ours still queued (the server may cancel a watch by
// itself, as for a compacted start) must go out under the server's ID.
func (m *ownKeys) ourIDLocked(resp *pb.WatchResponse) int64 {
	if !resp.Created || len(m.creating) == 0 {
		id, ok := m.ourID[resp.WatchId]
		if !ok {
			return resp.WatchId
		}
		if resp.Canceled && m.cancelSent[resp.WatchId] {
			delete(m.ourID, resp.WatchId)
			delete(m.serverID, id)
			delete(m.cancelSent, resp.WatchId)
		}
		return id
	}
	id := m.creating[0]
	m.creating = m.creating[1:]
	m.confirmedLocked(resp, id)
	if resp.WatchId != id && !resp.Canceled {
		if m.serverID == nil {
			m.serverID, m.ourID = map[int64]int64{}, map[int64]int64{}
		}
		m.serverID[id], m.ourID[resp.WatchId] = resp.WatchId, id
	}
	return id
}

// confirmedLocked (m.mu held): the create of watch id was confirmed by
// resp; the first that etcd accepted on a stream tells whether it keeps
// our IDs. The next create may go.
func (m *ownKeys) confirmedLocked(resp *pb.WatchResponse, id int64) {
	if m.ids == idsUnknown && !resp.Canceled {
		m.ids = idsForeign
		if resp.WatchId == id {
			m.ids = idsKept
		}
	}
	if !m.inFlight.IsZero() {
		m.inFlight = time.Time{}
		m.wakeLocked()
	}
}

// unqueueCreateLocked (m.mu held) takes the create of watch id out of
// the queue if it has not gone out yet, and reports whether it did: the
// watch then needs no cancel.
func (m *ownKeys) unqueueCreateLocked(id int64) bool {
	i := slices.IndexFunc(m.pending, func(r *pb.WatchRequest) bool { return r.GetCreateRequest().GetWatchId() == id })
	if i < 0 {
		return false
	}
	m.pending = slices.Delete(m.pending, i, i+1)
	m.creating = slices.DeleteFunc(m.creating, func(c int64) bool { return c == id })
	return true
}

// resetStreamLocked (m.mu held) forgets what was queued for, sent on or
// learnt from the stream that ended.
func (m *ownKeys) resetStreamLocked() {
	m.pending, m.creating, m.serverID, m.ourID, m.cancelSent = nil, nil, nil, nil, nil
	m.ids, m.inFlight = idsUnknown, time.Time{}
}
