package etcdadapter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// lease is one etcd lease shared by every acquisition of this adapter that
// asks for the same lease TTL, so 10,000 locks with one TTL use one lease.
// Its goroutine (run) renews it every third of its TTL for as long as the
// adapter lives, over one keep-alive stream (keepAliveStream), knowing
// when each renewal was sent: the server cannot expire the lease before sent+granted, so the
// lease is trusted until safeUntil = sent+granted-margin and declared dead
// at that moment if no renewal got through. Acquisitions on it end when it
// dies, which is therefore before the server could free their keys.
type lease struct {
	id      clientv3.LeaseID
	granted time.Duration // the TTL the server granted, >= the asked one
	margin  time.Duration
	slots   slotPool

	renewMu sync.Mutex // serialises trustUntil's renewals
	ka      keepAliveStream
	retired atomic.Bool // see retire

	mu       sync.Mutex
	lastSent time.Time // send time of the newest renewal that succeeded
	failing  bool      // the last renewal attempt failed
	deadErr  error

	usersMu sync.Mutex
	users   map[*acquisition]struct{} // told when the lease dies

	dead     <-chan struct{} // closed when the lease is gone or untrusted
	deadCtx  context.Context // done when dead is closed
	markDead context.CancelFunc
}

// retryInterval spaces renewal attempts after a failed one.
const retryInterval = 250 * time.Millisecond

// hardSlack is how much longer than a hard TTL the lease stays trusted
// after one renewal, so that back-to-back acquisitions need one early
// renewal a second at most.
const hardSlack = time.Second

// marginFor is the safety margin below a granted TTL: scheduling delays
// and clock-rate differences between client and server fit in it.
func marginFor(granted time.Duration) time.Duration {
	return min(granted/4, 500*time.Millisecond+granted/100)
}

// leaseSeconds is the lease TTL to ask for. KeepAlive: the lock's TTL,
// rounded up to whole seconds. Hard TTL: long enough that a renewal sent
// when the hold begins keeps the lease trusted past the hold's end, so the
// local timer always ends the hold first; a holder that died blocks others
// for about TTL + 1s + margin (+ etcd's 500ms expiry check).
func leaseSeconds(req brokerlock.Request) int64 {
	secs := ceilSeconds(req.TTL)
	if req.KeepAlive {
		return secs
	}
	for ; ; secs++ {
		g := time.Duration(secs) * time.Second
		if g-marginFor(g) >= req.TTL+hardSlack {
			return secs
		}
	}
}

func ceilSeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}

func grantLease(ctx context.Context, client *clientv3.Client, secs int64) (*lease, error) {
	sent := time.Now()
	resp, err := client.Grant(ctx, secs)
	if err != nil {
		return nil, fmt.Errorf("grant lease of %ds: %w", secs, err)
	}
	granted := time.Duration(resp.TTL) * time.Second
	deadCtx, markDead := context.WithCancel(context.Background())
	return &lease{
		id: resp.ID, granted: granted, margin: marginFor(granted), lastSent: sent, ka: newKeepAliveStream(deadCtx),
		dead: deadCtx.Done(), deadCtx: deadCtx, markDead: markDead, users: map[*acquisition]struct{}{},
	}, nil
}

// safeUntil is the last moment the lease is surely alive on the server.
func (l *lease) safeUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastSent.Add(l.granted - l.margin)
}

// trustUntil renews the lease now unless it is already trusted until t,
// so that a hard-TTL hold's local timer ends it before the server could.
// Concurrent callers share one renewal. A hold that begins within
// hardSlack of the last renewal needs none.
func (l *lease) trustUntil(ctx context.Context, client *clientv3.Client, t time.Time) error {
	if !l.safeUntil().Before(t) {
		return nil // the common case: no wait behind a renewal in flight
	}
	l.renewMu.Lock()
	defer l.renewMu.Unlock()
	if !l.safeUntil().Before(t) {
		return nil
	}
	ctx, cancel := context.WithDeadline(ctx, l.safeUntil())
	defer cancel()
	return l.renew(ctx, client)
}

// run renews the lease until ctx ends or the lease dies.
func (l *lease) run(ctx context.Context, client *clientv3.Client) {
	timer := time.NewTimer(l.untilNextStep())
	defer timer.Stop()
	for !l.isDead() {
		select {
		case <-ctx.Done():
			l.kill(brokerlock.ErrClosed)
			return
		case <-l.dead: // killed by an acquisition, or retired
			return
		case <-timer.C:
		}
		l.step(ctx, client)
		timer.Reset(l.untilNextStep())
	}
}

// untilNextStep: a third of the TTL after the last renewal, sooner after
// a failure, and never after safeUntil.
func (l *lease) untilNextStep() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	safe := l.lastSent.Add(l.granted - l.margin)
	next := l.lastSent.Add(l.granted / 3)
	if l.failing {
		next = time.Now().Add(retryInterval)
	}
	return time.Until(minTime(next, safe))
}

// step renews once, or declares the lease dead when it can no longer be
// trusted.
func (l *lease) step(ctx context.Context, client *clientv3.Client) {
	safe := l.safeUntil()
	if !time.Now().Before(safe) {
		l.kill(fmt.Errorf("lease %x not renewed in time (etcd unreachable?)", l.id))
		return
	}
	rctx, cancel := context.WithDeadline(ctx, safe)
	defer cancel()
	err := l.renew(rctx, client)
	l.mu.Lock()
	l.failing = err != nil
	l.mu.Unlock()
}

// renew renews the lease, trying again while ctx allows, each attempt
// within attemptTimeout.
func (l *lease) renew(ctx context.Context, client *clientv3.Client) error {
	return attempts(ctx, l.attemptTimeout(), func(ctx context.Context) error {
		return l.renewOnce(ctx, client)
	})
}

// attemptTimeout bounds one renewal attempt: a sixth of the TTL leaves
// time for several attempts before the lease stops being trusted.
func (l *lease) attemptTimeout() time.Duration {
	return max(l.granted/6, 300*time.Millisecond)
}

// renewOnce sends one renewal and records its send time on success. A
// lease the server no longer has dies here, whoever asked.
func (l *lease) renewOnce(ctx context.Context, client *clientv3.Client) error {
	sent := time.Now()
	err := l.ka.renew(ctx, client, l.id)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		l.kill(fmt.Errorf("lease %x: %w", l.id, errLeaseGone))
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sent.After(l.lastSent) {
		l.lastSent = sent
	}
	return nil
}

// errLeaseGone: the server no longer has the lease (expired, revoked).
var errLeaseGone = errors.New("lease expired or was revoked")

// errLeaseRetired: the lease was retired (see retire) and is revoked.
var errLeaseRetired = errors.New("lease retired after a put whose outcome is unknown")

// retire takes the lease out of use after a put on it had an unknown
// outcome: that put may still be applied, late, by a member that got it
// before the client gave up, and would then leave a key nobody owns on a
// lease this adapter keeps renewing. New acquisitions get another lease;
// this one dies (and is revoked) as soon as its last acquisition ends, so
// a late put then fails ("lease not found"), or its key goes with the
// lease. Until then sweepLatePut looks for the key.
func (l *lease) retire() {
	l.retired.Store(true)
	l.killIfUnused()
}

// killIfUnused kills a retired lease that no acquisition uses any more.
// An acquisition that joins in the same moment (it took the lease before
// it was retired) loses its hold: its key goes with the lease.
func (l *lease) killIfUnused() {
	l.usersMu.Lock()
	unused := len(l.users) == 0
	l.usersMu.Unlock()
	if unused {
		l.kill(fmt.Errorf("lease %x: %w", l.id, errLeaseRetired))
	}
}

// kill declares the lease dead, once, and ends every acquisition on it.
func (l *lease) kill(err error) {
	l.mu.Lock()
	first := l.deadErr == nil
	if first {
		l.deadErr = err
		l.markDead()
	}
	l.mu.Unlock()
	if first {
		for _, q := range l.usersNow() {
			q.lose(err)
		}
	}
}

// join makes q one of the acquisitions the lease's death ends; if the
// lease died already, q ends now.
func (l *lease) join(q *acquisition) {
	l.usersMu.Lock()
	l.users[q] = struct{}{}
	l.usersMu.Unlock()
	if l.isDead() {
		q.lose(l.err())
	}
}

// leave forgets q, which has ended; a retired lease dies with its last
// acquisition.
func (l *lease) leave(q *acquisition) {
	l.usersMu.Lock()
	delete(l.users, q)
	l.usersMu.Unlock()
	if l.retired.Load() {
		l.killIfUnused()
	}
}

func (l *lease) usersNow() []*acquisition {
	l.usersMu.Lock()
	defer l.usersMu.Unlock()
	users := make([]*acquisition, 0, len(l.users))
	for q := range l.users {
		users = append(users, q)
	}
	return users
}

func (l *lease) isDead() bool {
	select {
	case <-l.dead:
		return true
	default:
		return false
	}
}

// err is why the lease died; nil while it lives.
func (l *lease) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deadErr
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
