package etcdadapter

import (
	"context"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
)

// An adapter's waiters share one watch stream: clientv3 puts every watch
// whose context carries the same gRPC metadata on one gRPC stream, on one
// member's connection. If that member goes silent (frozen, or its host cut
// off without a reset), every waiter on the stream hears nothing until
// gRPC's keepalive gives up on the connection: seconds with keepalive
// configured, never without. So while anyone waits, a probe creates a
// watch of its own on that stream every probeInterval (and cancels the
// one before, which kept the stream open: probeLoop): the
// server confirms a watch's creation at once, synced or not. If no
// confirmation arrives within probeTimeout, the stream is silent and the
// waiters move to a new generation (other metadata, so clientv3 opens a
// new stream, which the balancer puts on its next connection), reading
// first what blocks them. A handoff then waits on a silent member for at
// most about probeInterval + probeTimeout plus one read attempt
// (requestTimeout). (Progress requests would need no watch, but etcd
// answers them only when every watcher on the stream is synced and none
// starts ahead of the current revision, as WatchHead's may.)
const (
	probeInterval = time.Second
	probeTimeout  = time.Second
)

// streamKey is the metadata key that names a generation of the stream.
const streamKey = "brokerlock-wait-stream"

// waitStream is the waiters' stream: its generation and its probe.
type waitStream struct {
	a       *Adapter
	mu      sync.Mutex
	gen     int
	genCtx  context.Context // cancelled when the generation ends
	endGen  context.CancelFunc
	waiters int
	probing bool // the probe goroutine runs
}

// enter counts a waiter in and returns the context its watch must use
// (on the current stream; cancelled, also while clientv3 waits for the
// watch to be created, when that stream is found silent), its cancel,
// which also counts the waiter out, and a channel closed if the stream is
// found silent.
func (s *waitStream) enter(ctx context.Context) (context.Context, func(), <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.genCtx == nil {
		s.genCtx, s.endGen = context.WithCancel(context.Background())
	}
	s.waiters++
	if !s.probing {
		s.probing = s.a.goTracked(s.probeLoop)
	}
	wctx, cancel := context.WithCancel(s.streamCtx(ctx, s.gen))
	unhook := context.AfterFunc(s.genCtx, cancel)
	return wctx, sync.OnceFunc(func() { unhook(); cancel(); s.leave() }), s.genCtx.Done()
}

func (s *waitStream) leave() {
	s.mu.Lock()
	s.waiters--
	s.mu.Unlock()
}

// streamCtx is ctx with exactly the stream's metadata (whatever metadata
// ctx carried would make clientv3 open another stream, one the probe does
// not see): the generation, and WithRequireLeader's, so a member that
// loses its leader cancels the watches instead of keeping them stale.
func (s *waitStream) streamCtx(ctx context.Context, gen int) context.Context {
	return metadata.NewOutgoingContext(ctx, metadata.Pairs(
		rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader, streamKey, strconv.Itoa(gen)))
}

// current is the generation to probe; false (and the probe stops) when
// nobody waits.
func (s *waitStream) current() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters == 0 {
		s.probing = false
		return 0, false
	}
	return s.gen, true
}

// move starts generation gen+1, unless that happened already.
func (s *waitStream) move(gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		s.gen++
		s.endGen()
		s.genCtx, s.endGen = context.WithCancel(context.Background())
	}
}

// probeLoop probes the stream at once and then every probeInterval while
// anyone waits, then returns. The watch of the last probe that was
// answered stays until the next one is (or the loop ends): the stream's
// anchor. clientv3 closes a watch stream when its last watch ends and
// opens a new one for the next; without the anchor, a process whose only
// waiter takes the lock would pay for a new gRPC stream (and etcd for its
// two goroutines) on every wait. A watch that sees nothing never moves
// the revision clientv3 resumes it from after a break; replaced every
// second, the anchor never makes etcd replay more than a second of
// history.
func (s *waitStream) probeLoop() {
	anchor := func() {}
	defer func() { anchor() }()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		gen, ok := s.current()
		if !ok {
			return
		}
		end, answered := s.probe(gen)
		anchor() // the one before; end, if answered, holds the stream now
		anchor = end
		if !answered {
			end()
			anchor = func() {}
			s.a.log.Debug("etcdadapter: the waiters' watch stream is silent: moving to a new one", "generation", gen+1)
			s.move(gen)
		}
		select {
		case <-s.a.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// probe creates a watch on generation gen's stream that sees nothing
// (the prefix key itself, which no lock uses, puts and deletes filtered
// out) and reports whether the stream confirmed it within probeTimeout;
// true also when the adapter is closing: nothing to move then. end
// cancels the watch.
func (s *waitStream) probe(gen int) (end func(), answered bool) {
	ctx, cancel := context.WithCancel(s.streamCtx(s.a.ctx, gen))
	timeout := time.AfterFunc(probeTimeout, cancel)
	ch := s.a.client.Watch(ctx, s.a.prefix, clientv3.WithFilterPut(), clientv3.WithFilterDelete(), clientv3.WithCreatedNotify())
	resp, ok := <-ch // closed, if the timeout ended ctx first or the stream broke
	inTime := timeout.Stop()
	return cancel, ok && resp.Created && inTime || s.a.ctx.Err() != nil
}
