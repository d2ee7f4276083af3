package etcdadapter

import (
	"context"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
)

// An adapter's waiters share one watch stream: clientv3 puts every watch
// whose context carries the same gRPC metadata on one gRPC stream, on one
// member's connection. If that member goes silent (frozen, or its host cut
// off without a reset), every waiter on the stream hears nothing until
// gRPC's keepalive gives up on the connection: seconds with keepalive
// configured, never without. So while anyone waits, the stream's probe
// asks etcd for a progress notification every probeInterval; if none
// arrives within probeTimeout, the stream is silent and the waiters move to
// a new generation (other metadata, so clientv3 opens a new stream, which
// the balancer puts on its next connection), reading first what blocks
// them. A handoff then waits on a silent member for at most about
// probeInterval + probeTimeout plus one read attempt (requestTimeout).
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
	return wctx, func() { unhook(); cancel(); s.leave() }, s.genCtx.Done()
}

func (s *waitStream) leave() {
	s.mu.Lock()
	s.waiters--
	s.mu.Unlock()
}

func (s *waitStream) streamCtx(ctx context.Context, gen int) context.Context {
	return metadata.AppendToOutgoingContext(clientv3.WithRequireLeader(ctx), streamKey, strconv.Itoa(gen))
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

// probeLoop probes the stream while anyone waits, then returns.
func (s *waitStream) probeLoop() {
	var p probe
	defer p.stop()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.a.ctx.Done():
			return
		case <-tick.C:
		}
		gen, ok := s.current()
		if !ok {
			return
		}
		if !p.answers(s, gen) {
			s.a.log.Debug("etcdadapter: the waiters' watch stream is silent: moving to a new one", "generation", gen+1)
			p.stop()
			s.move(gen)
		}
	}
}

// probe is a watch of its own on the stream (on the prefix key itself,
// which no lock uses), to receive the progress notifications.
type probe struct {
	gen    int
	ch     clientv3.WatchChan
	ctx    context.Context
	cancel context.CancelFunc
}

// answers reports whether generation gen's stream answers within
// probeTimeout: creates the probe's watch there (clientv3's Watch returns
// once the server confirmed it), or requests a progress notification.
// True also when the adapter is closing: nothing to move then.
func (p *probe) answers(s *waitStream, gen int) bool {
	if p.ch == nil || p.gen != gen {
		p.stop()
		p.ctx, p.cancel = context.WithCancel(s.streamCtx(s.a.ctx, gen))
		late := time.AfterFunc(probeTimeout, p.cancel)
		p.gen, p.ch = gen, s.a.client.Watch(p.ctx, s.a.prefix, clientv3.WithFilterPut(), clientv3.WithFilterDelete())
		return late.Stop() || s.a.ctx.Err() != nil
	}
	timeout := time.NewTimer(probeTimeout)
	defer timeout.Stop()
	rctx, cancel := context.WithTimeout(p.ctx, probeTimeout)
	err := s.a.client.RequestProgress(rctx)
	cancel()
	for err == nil {
		select {
		case resp, ok := <-p.ch:
			if !ok || resp.Err() != nil {
				return s.a.ctx.Err() != nil
			}
			if resp.IsProgressNotify() {
				return true
			}
		case <-timeout.C:
			return false
		case <-s.a.ctx.Done():
			return true
		}
	}
	return s.a.ctx.Err() != nil
}

func (p *probe) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	*p = probe{}
}
