package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Adapter is the etcd implementation of brokerlock.Adapter. It is safe for
// concurrent use. Its goroutines (one per lease TTL in use, two for the
// watch stream of its own keys, its waiters and WatchHead, one sending
// queued writes while there are any, and background clean-ups) stop in
// Close.
type Adapter struct {
	client   *clientv3.Client
	prefix   string
	identity string
	log      *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the adapter starts

	mu     sync.Mutex
	closed bool
	leases map[int64]*leaseEntry // by asked TTL in seconds
	// unrevoked: every granted lease that Close must revoke: live ones,
	// retired ones that still have holds (no longer in leases).
	unrevoked map[*lease]struct{}

	own   ownKeys // the watches of the adapter's own keys (ownkeys.go)
	batch batcher // group commit of puts and deletes (batch.go)
}

var _ brokerlock.Adapter = (*Adapter)(nil)

// leaseEntry is a lease being granted (ready open) or granted.
type leaseEntry struct {
	ready chan struct{}
	l     *lease
	err   error
}

// cleanupTimeout bounds each clean-up RPC made on a context of the
// adapter's own (the caller's may be done already).
const cleanupTimeout = 5 * time.Second

// New returns an Adapter on client. It does not take ownership of client:
// close the Adapter first, then the client. The client must not be wrapped
// by clientv3's namespace package (the adapter watches its own keys on a
// gRPC stream of its own, which such a wrapper does not see): use
// WithPrefix instead.
func New(client *clientv3.Client, opts ...Option) *Adapter {
	ctx, cancel := context.WithCancel(context.Background())
	a := &Adapter{client: client, prefix: DefaultPrefix, identity: defaultIdentity(), log: slog.New(slog.DiscardHandler),
		ctx: ctx, cancel: cancel, leases: map[int64]*leaseEntry{}, unrevoked: map[*lease]struct{}{}}
	a.batch.a = a
	a.own = newOwnKeys(a)
	for _, o := range opts {
		if o != nil { // a nil Option changes nothing
			o(a)
		}
	}
	return a
}

// Prefix returns the key prefix of this adapter's locks.
func (a *Adapter) Prefix() string { return a.prefix }

// IsReserved reports whether any key exists under lock id's prefix; the
// oldest of them holds the lock, whoever wrote it.
func (a *Adapter) IsReserved(ctx context.Context, id string) (bool, error) {
	if a.isClosed() {
		return false, brokerlock.ErrClosed
	}
	pfx := LockPrefix(a.prefix, id)
	resp, err := a.client.Get(ctx, pfx, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return false, fmt.Errorf("etcdadapter: read %q: %w", pfx, err)
	}
	return len(resp.Kvs) > 0, nil
}

// Close ends every acquisition of this adapter (their Done closes, Err
// wraps ErrLockLost and ErrClosed), wakes its waiters with ErrClosed,
// stops its goroutines and revokes its leases, which deletes all its keys
// in one request per lease. It does not close the client. Later calls
// return nil.
func (a *Adapter) Close() error {
	if !a.markClosed() {
		return nil
	}
	a.cancel()
	a.wg.Wait() // no grant runs now: a.leases is settled
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, l := range a.grantedLeases() {
		if _, err := a.client.Revoke(ctx, l.id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			errs = append(errs, fmt.Errorf("etcdadapter: close: revoke lease %x: %w", l.id, err))
		}
	}
	return errors.Join(errs...)
}

// markClosed reports whether this call closed the adapter.
func (a *Adapter) markClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	first := !a.closed
	a.closed = true
	return first
}

// grantedLeases lists every lease granted and not revoked yet.
func (a *Adapter) grantedLeases() []*lease {
	a.mu.Lock()
	defer a.mu.Unlock()
	leases := make([]*lease, 0, len(a.unrevoked))
	for l := range a.unrevoked {
		leases = append(leases, l)
	}
	return leases
}

// trackLease records l as granted (add) or revoked (!add).
func (a *Adapter) trackLease(l *lease, add bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if add {
		a.unrevoked[l] = struct{}{}
	} else {
		delete(a.unrevoked, l)
	}
}

func (a *Adapter) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// goTracked runs f in a goroutine that Close waits for; false after Close.
func (a *Adapter) goTracked(f func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Go(f)
	return true
}
