package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
)

// ownKeys watches the adapter's own keys for deletes (see monitor.go), all
// on one gRPC watch stream that it opens itself rather than through
// clientv3's Watch, which runs a goroutine per watch (and its caller one
// more to read it): here a watched key is an entry in a map and one create
// request on the stream, so a held lock costs one etcd watcher and no
// goroutine. Waiters and WatchHead watch on this stream too (relay.go).
// The stream has two goroutines, one sending and one receiving, while any
// watch is open; it closes about probeInterval after the last one ends.
//
// Watch IDs are the adapter's own (etcd keeps a client's since 3.4; where
// a proxy does not, creates go one at a time and each confirmation maps
// its ID to ours: watchids.go), so a stream that breaks (its member lost
// the leader, went away, or went silent) is replaced by one where every
// own key's watch is created again, with the same ID, from the revision
// it started at: no delete goes unseen, only seen late. (A relayed watch
// ends instead, and its reader watches again.) The stream is probed
// (probeInterval): a watch create whose confirmation takes longer than
// probeTimeout, or a send that blocks that long, means the member is
// silent, and the stream is left.
type ownKeys struct {
	a *Adapter

	mu        sync.Mutex
	watched   map[int64]ownWatch      // by watch ID
	relayed   map[int64]*relayedWatch // waiters' and WatchHead's, by watch ID (relay.go)
	lastID    int64
	running   bool               // run's goroutine runs
	stream    int                // the open stream's number; 0 when none is open
	opened    int                // streams opened so far
	pending   []*pb.WatchRequest // to send on the current stream, in order
	wake      chan struct{}      // signalled when pending grows
	probe     int64              // ID of the unanswered probe; 0 if none
	probeSent time.Time          // when it was sent; zero while queued
	lastProbe time.Time          // when the last probe was queued
	// creating: the IDs of the creates queued or sent on the open stream
	// and not yet confirmed, in order (etcd confirms them in order).
	creating []int64
	// ids is whether the open stream's server keeps our watch IDs, and
	// inFlight when the create it has not confirmed yet was sent, while
	// creates go one at a time (watchids.go).
	ids      idMode
	inFlight time.Time
	// serverID and ourID map the IDs that the server gave watches of ours
	// where it did not keep ours (an etcd grpc-proxy numbers them itself);
	// cancelSent are the server's IDs of those whose cancel went out.
	serverID, ourID map[int64]int64
	cancelSent      map[int64]bool
	due             []dueWatch  // watches to start, oldest first
	dueTimer        *time.Timer // fires when due[0] is
}

// dueWatch is an acquisition whose watch starts at a given time.
type dueWatch struct {
	q  *acquisition
	at time.Time
}

// ownWatch is one watched key.
type ownWatch struct {
	q    *acquisition
	from int64 // the revision its watch starts at
}

// The stream is probed every probeInterval while it is open: a watch that
// sees nothing is created and cancelled; the server confirms a watch's
// creation at once, synced or not. A member gone silent (frozen, or its
// host cut off without a reset) would otherwise leave every watch on the
// stream hearing nothing until gRPC's keepalive gives up on the
// connection: seconds with keepalive configured, never without. If no
// confirmation arrives within probeTimeout, the stream is left for a new
// one, which the balancer puts on its next connection. A handoff then
// waits on a silent member for at most about probeInterval + probeTimeout
// plus one read attempt (requestTimeout). (Progress requests would need
// no watch, but etcd answers them only when every watcher on the stream
// is synced and none starts ahead of the current revision, as WatchHead's
// may.) The probe is checked every probeCheck, so a silent stream is left
// at most probeCheck after probeTimeout (checked once a probeInterval, a
// probe sent just after a check would be found late by almost a second).
const (
	probeInterval = time.Second
	probeTimeout  = time.Second
	probeCheck    = probeInterval / 4
)

var (
	errSilent = errors.New("watch stream silent")
	errIdle   = errors.New("no watch open")
)

func newOwnKeys(a *Adapter) ownKeys {
	return ownKeys{a: a, watched: map[int64]ownWatch{}, relayed: map[int64]*relayedWatch{}, wake: make(chan struct{}, 1), lastID: firstID - 1}
}

// watchSoon starts q's watch (startWatch) ownWatchDelay from now: one timer
// for all the adapter's acquisitions, not one each.
func (m *ownKeys) watchSoon(q *acquisition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.due = append(m.due, dueWatch{q: q, at: time.Now().Add(ownWatchDelay)})
	switch {
	case m.dueTimer == nil:
		m.dueTimer = time.AfterFunc(ownWatchDelay, m.startDue)
	case len(m.due) == 1:
		m.dueTimer.Reset(ownWatchDelay)
	}
}

// startDue starts the watches that are due, and sets the timer for the
// next one.
func (m *ownKeys) startDue() {
	if m.a.ctx.Err() != nil {
		return // closed: Close ends every acquisition
	}
	for _, q := range m.takeDue() {
		q.startWatch()
	}
}

func (m *ownKeys) takeDue() []*acquisition {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var qs []*acquisition
	for len(m.due) > len(qs) && !m.due[len(qs)].at.After(now) {
		qs = append(qs, m.due[len(qs)].q)
	}
	m.due = m.due[:copy(m.due, m.due[len(qs):])]
	if len(m.due) > 0 {
		m.dueTimer.Reset(m.due[0].at.Sub(now))
	}
	return qs
}

// watch starts watching q's key for deletes from revision from and returns
// the watch's ID, for unwatch.
func (m *ownKeys) watch(q *acquisition, from int64) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastID++
	m.watched[m.lastID] = ownWatch{q: q, from: from}
	m.queueCreateLocked(ownKeyCreate(m.lastID, q.key, from))
	m.runLocked() // after Close, Close ends q
	return m.lastID
}

// runLocked (m.mu held) starts run's goroutine unless it runs; false
// after Close.
func (m *ownKeys) runLocked() bool {
	if m.a.ctx.Err() != nil {
		return false // run may still be ending
	}
	if !m.running {
		m.running = m.a.goTracked(m.run)
	}
	return m.running
}

// ownKeyCreate is the create of watch id: key's deletes from revision from.
func ownKeyCreate(id int64, key string, from int64) *pb.WatchCreateRequest {
	return watchCreate(id, key, "", from, pb.WatchCreateRequest_NOPUT)
}

// watchCreate is the create of watch id: key (up to end, unless end is
// ""), from revision from (0: the current one), without what filters
// filter out.
func watchCreate(id int64, key, end string, from int64, filters ...pb.WatchCreateRequest_FilterType) *pb.WatchCreateRequest {
	req := &pb.WatchCreateRequest{Key: []byte(key), StartRevision: from, WatchId: id, Filters: filters}
	if end != "" {
		req.RangeEnd = []byte(end)
	}
	return req
}

// unwatch stops watch id; nothing if it was stopped already.
func (m *ownKeys) unwatch(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	forgetLocked(m, m.watched, id)
}

// forgetLocked (m.mu held) takes watch id out of watches, if it is there,
// and queues its cancel.
func forgetLocked[W any](m *ownKeys, watches map[int64]W, id int64) {
	if _, ok := watches[id]; ok {
		delete(watches, id)
		m.queueCancelLocked(id)
	}
}

// queueCreateLocked (m.mu held) queues the create of a watch.
func (m *ownKeys) queueCreateLocked(req *pb.WatchCreateRequest) {
	if m.stream != 0 {
		m.creating = append(m.creating, req.WatchId)
	}
	m.queueLocked(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: req}})
}

// queueCancelLocked (m.mu held) queues the cancel of watch id (sent under
// the ID the server knows it by: takePending), unless its create had not
// gone out yet.
func (m *ownKeys) queueCancelLocked(id int64) {
	if m.unqueueCreateLocked(id) {
		return
	}
	m.queueLocked(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: id}}})
}

// queueLocked (m.mu held) queues req for the open stream; without one,
// the next stream is built from m.watched and m.relayed.
func (m *ownKeys) queueLocked(req *pb.WatchRequest) {
	if m.stream == 0 {
		return
	}
	m.pending = append(m.pending, req)
	m.wakeLocked()
}

// wakeLocked (m.mu held) wakes the sender.
func (m *ownKeys) wakeLocked() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run serves one stream after another until no watch is open or the
// adapter closes, pausing between them (longer after a stream that never
// answered).
func (m *ownKeys) run() {
	backoff := retryInterval
	for {
		var heard atomic.Bool
		err := m.serve(&heard)
		if errors.Is(err, errIdle) || m.endIfClosed() {
			return
		}
		m.a.log.Debug("etcdadapter: the adapter's watch stream ended; opening another", "cause", err.Error())
		if heard.Load() {
			backoff = retryInterval
		}
		if pause(m.a.ctx, backoff) != nil {
			m.endIfClosed()
			return
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// endIfClosed reports whether the adapter is closed, and then ends the
// relayed watches that are waiting for a stream (their readers hear of
// it).
func (m *ownKeys) endIfClosed() bool {
	if m.a.ctx.Err() == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.endRelayedLocked()
	return true
}

// serve opens a stream, creates every watch on it, then sends what is
// queued and probes until the stream breaks, is found silent, or is no
// longer needed (errIdle). heard is set once the stream answers.
func (m *ownKeys) serve(heard *atomic.Bool) error {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(m.a.ctx))
	defer cancel()
	// as clientv3 calls it: a WatchHead's or a Semaphore waiter's watch of
	// a whole lock can get a large response (an operator's delete of the
	// prefix)
	stream, err := pb.NewWatchClient(m.a.client.ActiveConnection()).Watch(ctx,
		grpc.WaitForReady(true), grpc.MaxCallRecvMsgSize(math.MaxInt32))
	if err != nil {
		return rpctypes.Error(err)
	}
	seq := m.open()
	received := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { received <- m.receive(stream, heard, seq) })
	defer func() { cancel(); wg.Wait(); m.closeStream(seq) }()
	tick := time.NewTicker(probeCheck)
	defer tick.Stop()
	for {
		if err := m.sendPending(stream, cancel); err != nil {
			return err
		}
		select {
		case err := <-received:
			return err
		case <-m.wake:
		case <-tick.C:
			if err := m.checkProbe(); err != nil {
				return err
			}
		}
	}
}

// open numbers a new stream and queues a create for every watch on it,
// then a probe.
func (m *ownKeys) open() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opened++
	m.stream = m.opened
	m.resetStreamLocked()
	for id, w := range m.watched {
		m.queueCreateLocked(ownKeyCreate(id, w.q.key, w.from))
	}
	for _, w := range m.relayed { // those added since the last stream closed
		m.queueCreateLocked(w.req)
	}
	m.queueProbeLocked() // a new stream may be on the member just left
	return m.stream
}

// closeStream forgets stream seq, unless a newer one is open already, and
// ends the relayed watches that were on it.
func (m *ownKeys) closeStream(seq int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stream == seq {
		m.stream = 0
		m.resetStreamLocked()
		m.endRelayedLocked()
	}
}

// sendPending sends what is queued. A send that blocks for probeTimeout
// (the member reads nothing) cancels the stream.
func (m *ownKeys) sendPending(stream pb.Watch_WatchClient, cancel context.CancelFunc) error {
	reqs, probe := m.takePending()
	if len(reqs) == 0 {
		return nil
	}
	stuck := time.AfterFunc(probeTimeout, cancel)
	defer stuck.Stop()
	for ; len(reqs) > 0; reqs, probe = m.takePending() {
		for _, req := range reqs {
			if err := stream.Send(req); err != nil {
				return err
			}
			if !stuck.Reset(probeTimeout) {
				return errSilent
			}
		}
		if probe {
			m.sent()
		}
	}
	return nil
}

// sent starts the probe's time once it is sent: the creates queued ahead
// of it (all of them, on a new stream) do not count against it.
func (m *ownKeys) sent() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.probe != 0 && m.probeSent.IsZero() {
		m.probeSent = time.Now()
	}
}

// checkProbe runs every probeCheck: a probe unanswered for probeTimeout
// means the stream is silent, and so does a create in flight for that long
// while creates go one at a time (the probe waits behind it). A
// probeInterval after the last probe, with
// no watch open the stream ends (errIdle, and run with it); otherwise a
// new probe is queued.
func (m *ownKeys) checkProbe() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.probe != 0 && !m.probeSent.IsZero() && time.Since(m.probeSent) >= probeTimeout:
		return errSilent
	case !m.inFlight.IsZero() && time.Since(m.inFlight) >= probeTimeout:
		return errSilent
	case m.probe != 0, time.Since(m.lastProbe) < probeInterval:
		return nil
	case len(m.watched) == 0 && len(m.relayed) == 0:
		m.running, m.stream = false, 0
		m.resetStreamLocked()
		return errIdle
	}
	m.queueProbeLocked()
	return nil
}

// queueProbeLocked (m.mu held, a stream open) queues a probe: a watch of
// the prefix key itself that lets nothing through.
func (m *ownKeys) queueProbeLocked() {
	m.lastID++
	m.probe, m.probeSent, m.lastProbe = m.lastID, time.Time{}, time.Now()
	m.queueCreateLocked(watchCreate(m.probe, m.a.prefix, "", 0, pb.WatchCreateRequest_NOPUT, pb.WatchCreateRequest_NODELETE))
}

// receive reads the stream until it breaks, or until etcd refuses a
// create for the stream's auth token (a new stream logs in again).
func (m *ownKeys) receive(stream pb.Watch_WatchClient, heard *atomic.Bool, seq int) error {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return rpctypes.Error(err)
		}
		heard.Store(true)
		if err := m.dispatch(resp, seq); err != nil {
			return err
		}
	}
}

// dispatch handles one response: a delete of a watched key is the loss of
// its acquisition; a watch etcd cancelled (its start compacted away) or
// refused is followed by a read (recheck).
func (m *ownKeys) dispatch(resp *pb.WatchResponse, seq int) error {
	if refusedForToken(resp) {
		return fmt.Errorf("watch refused: %s", resp.CancelReason)
	}
	q, ok := m.answered(resp, seq)
	switch {
	case !ok:
	case resp.Canceled:
		q.a.goTracked(q.recheck)
	case hasDelete(resp.Events):
		q.lose(errKeyDeleted)
	}
	return nil
}

// refusedForToken: etcd refused a create for the stream's auth token.
func refusedForToken(resp *pb.WatchResponse) bool {
	return resp.Created && resp.Canceled && tokenRefusals[resp.CancelReason]
}

// tokenRefusals are the reasons etcd gives for refusing a watch for its
// stream's auth token, formatted once (formatting a gRPC status for each
// response was 3% of a contended client's CPU).
var tokenRefusals = map[string]bool{
	rpctypes.ErrGRPCInvalidAuthToken.Error(): true,
	rpctypes.ErrGRPCAuthOldRevision.Error():  true,
	rpctypes.ErrGRPCUserEmpty.Error():        true,
}

// answered notes what resp confirms (a create, a probe's answer), relays
// what is for a relayed watch, and returns the acquisition whose watch
// resp is about; false for a probe, a relayed watch or a watch no longer
// in use, and for a response from stream seq once it is no longer the
// open one (a stream that went idle may still be read while the next one
// opens: its confirmations are not the next one's). A watch etcd
// cancelled is forgotten (and, if etcd created it, cancelled: etcd keeps
// a compacted watch until told).
func (m *ownKeys) answered(resp *pb.WatchResponse, seq int) (*acquisition, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stream != seq {
		return nil, false
	}
	id := m.ourIDLocked(resp)
	if w, ok := m.relayed[id]; ok {
		m.relayLocked(id, w, resp)
		return nil, false
	}
	if id == m.probe && resp.Created {
		m.probe = 0
		if !resp.Canceled {
			m.queueCancelLocked(id)
		}
		return nil, false
	}
	w, ok := m.watched[id]
	if ok && resp.Canceled {
		delete(m.watched, id)
		if !resp.Created {
			m.queueCancelLocked(id)
		}
	}
	return w.q, ok
}

func hasDelete(events []*mvccpb.Event) bool {
	for _, ev := range events {
		if ev.Type == mvccpb.DELETE {
			return true
		}
	}
	return false
}
