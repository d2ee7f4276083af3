package etcdadapter

import (
	"context"
	"errors"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
)

// keepAliveStream renews one lease over one long-lived LeaseKeepAlive
// stream, one request and its answer at a time. clientv3's KeepAliveOnce
// opens a new stream per call, and clientv3 logs in again (Authenticate: a
// bcrypt check and a raft write on the server) before every stream it
// opens when the client has a password; clientv3's own KeepAlive keeps one
// stream but does not say when the renewal it answers was sent. Here the
// caller knows the send time, and a stream is opened again only after an
// attempt failed or ran out of time (the next one may go to another
// member). The etcd server answers a stream's requests in order.
type keepAliveStream struct {
	stop context.Context // done when renewals stop for good: ends the stream

	mu     sync.Mutex
	stream pb.Lease_LeaseKeepAliveClient // nil until the next renewal opens it
	ctx    context.Context               // the stream's; nil with cancel
	cancel context.CancelFunc            // ends the stream
}

// errStreamClosed: renewals stopped for good (the lease died, or the
// adapter closed).
var errStreamClosed = errors.New("lease renewal stopped")

// renew sends one renewal of id and waits for its answer while ctx
// allows. It returns rpctypes.ErrLeaseNotFound when the server no longer
// has the lease.
func (s *keepAliveStream) renew(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop.Err() != nil {
		return errStreamClosed
	}
	if s.cancel == nil {
		s.ctx, s.cancel = context.WithCancel(clientv3.WithRequireLeader(s.stop))
	}
	abandon := context.AfterFunc(ctx, s.cancel) // unblocks opening, Send and Recv
	ttl, err := s.exchange(client, id)
	if !abandon() || err != nil {
		s.drop()
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil && ttl <= 0 {
		return rpctypes.ErrLeaseNotFound
	}
	return err
}

// exchange opens the stream if there is none, sends one renewal and reads
// its answer. A member without a leader refuses the stream (it could not
// renew anyway).
func (s *keepAliveStream) exchange(client *clientv3.Client, id clientv3.LeaseID) (ttl int64, err error) {
	if s.stream == nil {
		lc := pb.NewLeaseClient(client.ActiveConnection())
		if s.stream, err = lc.LeaseKeepAlive(s.ctx, grpc.WaitForReady(true)); err != nil {
			return 0, rpctypes.Error(err)
		}
	}
	if err := s.stream.Send(&pb.LeaseKeepAliveRequest{ID: int64(id)}); err != nil {
		return 0, rpctypes.Error(err)
	}
	resp, err := s.stream.Recv()
	if err != nil {
		return 0, rpctypes.Error(err)
	}
	return resp.TTL, nil
}

// drop ends the stream; the next renewal opens another.
func (s *keepAliveStream) drop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.stream, s.ctx, s.cancel = nil, nil, nil
}
