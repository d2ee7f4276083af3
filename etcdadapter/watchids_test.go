package etcdadapter_test

import (
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// A server that numbers watches itself (etcd's gRPC proxy) may cancel a
// watch by itself (its start was compacted) after the adapter stopped it
// but before the adapter's cancel went out (it waits behind a create in
// flight). The cancel must still go out under the server's ID: under
// ours the server would keep the watch, and the proxy the range's
// broadcast with it, for the stream's life.
func TestCancelAfterServerCancelGoesUnderServerID(t *testing.T) {
	srv, a, chA, stopA := numberedStream(t)
	srv.confirmNext(t, numberedPrefix+"a/")
	nextResponse(t, chA) // created
	_, stopB := etcdadapter.RelayPrefix(a, numberedPrefix+"b/")
	defer stopB()
	b := srv.nextCreate(t, numberedPrefix+"b/") // in flight: the next request waits for its confirmation
	stopA()
	srv.send(&pb.WatchResponse{WatchId: 0, Canceled: true, CompactRevision: 3, Header: &pb.ResponseHeader{}})
	srv.confirm(b)
	req := srv.next(t)
	if c := req.GetCancelRequest(); c == nil || c.WatchId != 0 {
		t.Errorf("request after the server's own cancel of watch 0: got %v, want the cancel of watch 0", req)
	}
}

// A watch stopped before its create went out (it waited behind another
// create in flight) costs the server nothing: its create leaves the queue,
// and no cancel follows.
func TestWatchStoppedBeforeItsCreateWentOutIsNeverSent(t *testing.T) {
	srv, a, chA, _ := numberedStream(t)
	first := srv.nextCreate(t, numberedPrefix+"a/") // a stream's first create goes alone
	_, stopB := etcdadapter.RelayPrefix(a, numberedPrefix+"b/")
	stopB()
	_, stopC := etcdadapter.RelayPrefix(a, numberedPrefix+"c/")
	defer stopC()
	srv.confirm(first)
	nextResponse(t, chA)
	srv.nextCreate(t, numberedPrefix+"c/") // not b's create, nor its cancel
}

// numberedPrefix is the prefix of the adapters on a numbering server.
const numberedPrefix = "numbered/"

// numberedStream is an adapter on a numbering server, with a relayed watch
// of numberedPrefix+"a/" queued (its stream's first create) and what stops it; both
// end with the test.
func numberedStream(t *testing.T) (*numberingServer, *etcdadapter.Adapter, <-chan *pb.WatchResponse, func()) {
	srv := startNumberingServer(t)
	a := etcdadapter.New(srv.client(t), etcdadapter.WithPrefix(numberedPrefix))
	t.Cleanup(func() { a.Close() })
	ch, stop := etcdadapter.RelayPrefix(a, numberedPrefix+"a/")
	t.Cleanup(stop)
	return srv, a, ch, stop
}

// numberingServer is a Watch server run by the test: it numbers watches
// from 0, as etcd's gRPC proxy does, hands every request to the test and
// sends what the test gives it. The adapter's probes (creates of its
// prefix key, which let nothing through) it confirms by itself.
type numberingServer struct {
	pb.UnimplementedWatchServer
	addr   string
	reqs   chan *pb.WatchRequest
	resps  chan *pb.WatchResponse
	nextID int64
	probes map[int64]bool // the server's IDs of the adapter's probes
}

func startNumberingServer(t *testing.T) *numberingServer {
	s := &numberingServer{reqs: make(chan *pb.WatchRequest, 16),
		resps: make(chan *pb.WatchResponse, 16), probes: map[int64]bool{}}
	s.addr = testutil.ServeGRPC(t, func(g *grpc.Server) { pb.RegisterWatchServer(g, s) })
	return s
}

func (s *numberingServer) client(t *testing.T) *clientv3.Client {
	return testutil.NewClientWith(t, testutil.ClientConfig([]string{s.addr}))
}

// Watch serves one stream: requests to the test, its responses back.
func (s *numberingServer) Watch(stream pb.Watch_WatchServer) error {
	ctx := stream.Context()
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case s.reqs <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case resp := <-s.resps:
			if err := stream.Send(resp); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// next is the next request that is not about a probe: probes are
// confirmed here, and their cancels dropped.
func (s *numberingServer) next(t *testing.T) *pb.WatchRequest {
	t.Helper()
	for {
		select {
		case req := <-s.reqs:
			c, cancel := req.GetCreateRequest(), req.GetCancelRequest()
			switch {
			case c != nil && len(c.Filters) == 2: // NOPUT and NODELETE: a probe
				s.probes[s.confirm(c)] = true
			case cancel != nil && s.probes[cancel.WatchId]:
			default:
				return req
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("numbering server: no request in 5s")
		}
	}
}

// nextCreate is the next request, which must create a watch of key.
func (s *numberingServer) nextCreate(t *testing.T, key string) *pb.WatchCreateRequest {
	t.Helper()
	req := s.next(t)
	c := req.GetCreateRequest()
	if c == nil || string(c.Key) != key {
		t.Fatalf("numbering server: got request %v, want the create of a watch of %q", req, key)
	}
	return c
}

// confirmNext confirms the next request, the create of a watch of key.
func (s *numberingServer) confirmNext(t *testing.T, key string) {
	t.Helper()
	s.confirm(s.nextCreate(t, key))
}

// confirm confirms c under the server's next ID, which it returns.
func (s *numberingServer) confirm(c *pb.WatchCreateRequest) int64 {
	id := s.nextID
	s.nextID++
	s.resps <- &pb.WatchResponse{WatchId: id, Created: true, Header: &pb.ResponseHeader{Revision: 1}}
	return id
}

func (s *numberingServer) send(resp *pb.WatchResponse) { s.resps <- resp }
