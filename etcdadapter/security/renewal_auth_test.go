package security_test

import (
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// TestLeaseRenewalsLogInOnce: with password auth, renewing a lease does
// not make the client log in again. clientv3 sends Authenticate (a bcrypt
// check and a raft write on the server, ~50ms of its CPU at etcd's default
// cost) before every stream it opens, and its KeepAliveOnce opens a
// stream per call; renewing that way cost a login every TTL/3, and on a
// busy server the renewal's attempt timeout ran out and KeepAlive holds
// were lost. The adapter renews over one long-lived stream per lease.
func TestLeaseRenewalsLogInOnce(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	prefix := testPrefix(t)
	app := newTenant(t, srv, root, prefix, readWrite)
	a, calls := app.countedAdapter(t, prefix)
	it := brokerlock.New(a).Item("job", brokerlock.Options{TTL: 2 * time.Second, KeepAlive: true, Timeout: 10 * time.Second})
	h, err := it.Hold(testCtx(t))
	if err != nil {
		t.Fatalf("Hold: got error %v, want the lock", err)
	}
	// By the second renewal the client has opened all its streams (the
	// keep-alive stream, the holder's watch), one login each.
	if got := calls.waitFor(testCtx(t), sent(methodKeepAlive), 2); got < 2 {
		t.Fatalf("lease renewals sent: got %d, want 2", got)
	}
	logins := calls.count(methodAuthenticate)
	const renewals = 4 // every ~0.7s with a 2s lease
	if got := calls.waitFor(testCtx(t), sent(methodKeepAlive), renewals); got < renewals {
		t.Fatalf("lease renewals sent: got %d, want %d", got, renewals)
	}
	if got := calls.count(methodAuthenticate); got != logins {
		t.Errorf("Authenticate requests: got %d after %d renewals, want %d as after 2", got, renewals, logins)
	}
	if got, want := calls.count(methodKeepAlive), 1; got != want {
		t.Errorf("LeaseKeepAlive streams opened for %d renewals: got %d, want %d", renewals, got, want)
	}
	if err := h.Release(testCtx(t)); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}
}
