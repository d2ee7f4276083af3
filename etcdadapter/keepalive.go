package etcdadapter

import (
	"context"
	"errors"
	"io"

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
	turn chan struct{}   // one renewal at a time: holding it is holding the fields below

	stream pb.Lease_LeaseKeepAliveClient // nil until the next renewal opens it
	ctx    context.Context               // the stream's; nil with cancel
	cancel context.CancelFunc            // ends the stream
}

func newKeepAliveStream(stop context.Context) keepAliveStream {
	return keepAliveStream{stop: stop, turn: make(chan struct{}, 1)}
}

// errStreamClosed: renewals stopped for good (the lease died, or the
// adapter closed).
var errStreamClosed = errors.New("lease renewal stopped")

// renew sends one renewal of id and waits for its answer while ctx
// allows, also while another renewal is in flight. It returns
// rpctypes.ErrLeaseNotFound when the server no longer has the lease. A
// stream's auth token is the one it was opened with: when the server
// finds it expired, the renewal is sent once more on a new stream (which
// logs in again), as clientv3 does for its own requests.
func (s *keepAliveStream) renew(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) error {
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return ctx.Err()
	}
	err := s.renewOnce(ctx, client, id)
	if errors.Is(err, rpctypes.ErrInvalidAuthToken) || errors.Is(err, rpctypes.ErrAuthOldRevision) {
		err = s.renewOnce(ctx, client, id)
	}
	return err
}

// renewOnce is one renewal on the stream (s.turn held).
func (s *keepAliveStream) renewOnce(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) error {
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
// renew anyway). A Send on a stream the server ended says only io.EOF;
// Recv then says why.
func (s *keepAliveStream) exchange(client *clientv3.Client, id clientv3.LeaseID) (ttl int64, err error) {
	if s.stream == nil {
		lc := pb.NewLeaseClient(client.ActiveConnection())
		if s.stream, err = lc.LeaseKeepAlive(s.ctx, grpc.WaitForReady(true)); err != nil {
			return 0, rpctypes.Error(err)
		}
	}
	if err := s.stream.Send(&pb.LeaseKeepAliveRequest{ID: int64(id)}); err != nil && !errors.Is(err, io.EOF) {
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
