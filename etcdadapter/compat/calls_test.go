package compat_test

import (
	"errors"
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

// clientCalls makes each kind of request the adapter makes, in the shape
// it makes it, so that a server that lacks one fails here by name: a lease
// and its renewal, the queueing txn, the predecessor lookup, the watch
// for a deletion, the fenced delete, and the lease-not-found answers the
// adapter relies on.
func clientCalls(t *testing.T, srv *testutil.Binary) {
	cli := srv.NewClient(t)
	pfx := testPrefix(t) + "lock/"
	lease := grantAndRenew(t, cli)
	first := queue(t, cli, pfx+"a", lease)
	second := queue(t, cli, pfx+"b", lease)
	predecessor(t, cli, pfx, pfx+"b", second, pfx+"a")
	watchDeletion(t, cli, pfx+"a", first)
	leaseGone(t, cli, lease, pfx+"c")
	if resp, err := cli.Get(testCtx(t), pfx, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1)); err != nil || len(resp.Kvs) != 0 {
		t.Errorf("keys left after the lease was revoked: got %v, %v; want none", resp, err)
	}
}

// grantAndRenew: Grant, KeepAliveOnce and TimeToLive of a 5s lease.
func grantAndRenew(t *testing.T, cli *clientv3.Client) clientv3.LeaseID {
	t.Helper()
	ctx := testCtx(t)
	g, err := cli.Grant(ctx, 5)
	if err != nil || g.TTL != 5 {
		t.Fatalf("Grant(5): got %+v, %v; want TTL 5", g, err)
	}
	if k, err := cli.KeepAliveOnce(ctx, g.ID); err != nil || k.TTL != 5 {
		t.Errorf("KeepAliveOnce: got %+v, %v; want TTL 5", k, err)
	}
	if l, err := cli.TimeToLive(ctx, g.ID); err != nil || l.GrantedTTL != 5 || l.TTL <= 0 || l.TTL > 5 {
		t.Errorf("TimeToLive: got %+v, %v; want granted 5, 0 < TTL <= 5", l, err)
	}
	return g.ID
}

// queue puts key on lease if absent and reads the oldest key under its
// prefix in the same txn, as Acquire does; a second try must not put.
// It returns the key's create revision.
func queue(t *testing.T, cli *clientv3.Client, key string, lease clientv3.LeaseID) int64 {
	t.Helper()
	txn := func() (*clientv3.TxnResponse, error) {
		return cli.Txn(testCtx(t)).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, "v", clientv3.WithLease(lease)),
				clientv3.OpGet(key[:len(key)-1], clientv3.WithFirstCreate()...)).Commit()
	}
	resp, err := txn()
	if err != nil || !resp.Succeeded || len(resp.Responses) != 2 {
		t.Fatalf("queue txn for %s: got %+v, %v; want it to succeed with 2 responses", key, resp, err)
	}
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) != 1 || kvs[0].CreateRevision > resp.Header.Revision {
		t.Errorf("queue txn for %s: oldest key got %v, want one created by revision %d", key, kvs, resp.Header.Revision)
	}
	if again, err := txn(); err != nil || again.Succeeded {
		t.Errorf("second queue txn for %s: got succeeded=%v, %v; want false, nil", key, again != nil && again.Succeeded, err)
	}
	return resp.Header.Revision
}

// predecessor: the last key created before rev under pfx, and key itself,
// in one txn, as a waiter looks for the key to watch.
func predecessor(t *testing.T, cli *clientv3.Client, pfx, key string, rev int64, want string) {
	t.Helper()
	resp, err := cli.Txn(testCtx(t)).Then(
		clientv3.OpGet(pfx, append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(rev-1))...),
		clientv3.OpGet(key, clientv3.WithKeysOnly())).Commit()
	if err != nil || len(resp.Responses) != 2 {
		t.Fatalf("predecessor txn: got %+v, %v; want 2 responses", resp, err)
	}
	before, own := resp.Responses[0].GetResponseRange().Kvs, resp.Responses[1].GetResponseRange().Kvs
	if len(before) != 1 || string(before[0].Key) != want || len(own) != 1 {
		t.Errorf("predecessor of %s: got %v and own %v, want %s and the key itself", key, before, own, want)
	}
}

// watchDeletion: a watch from the key's revision without puts reports its
// fenced delete, and nothing else.
func watchDeletion(t *testing.T, cli *clientv3.Client, key string, rev int64) {
	t.Helper()
	ctx := testCtx(t)
	wch := cli.Watch(ctx, key, clientv3.WithRev(rev), clientv3.WithFilterPut())
	del, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", rev)).
		Then(clientv3.OpDelete(key)).Commit()
	if err != nil || !del.Succeeded {
		t.Fatalf("fenced delete of %s: got %+v, %v; want it to succeed", key, del, err)
	}
	wr, ok := <-wch
	if !ok || wr.Err() != nil || len(wr.Events) != 1 || wr.Events[0].Type != mvccpb.DELETE {
		t.Errorf("watch of %s from revision %d: got %+v (open %v), want one DELETE event", key, rev, wr, ok)
	}
}

// leaseGone: after Revoke, renewing the lease and putting a key on it
// fail with ErrLeaseNotFound.
func leaseGone(t *testing.T, cli *clientv3.Client, lease clientv3.LeaseID, key string) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := cli.Revoke(ctx, lease); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := cli.KeepAliveOnce(ctx, lease); !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Errorf("KeepAliveOnce of a revoked lease: got %v, want ErrLeaseNotFound", err)
	}
	if _, err := cli.Put(ctx, key, "v", clientv3.WithLease(lease)); !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Errorf("Put on a revoked lease: got %v, want ErrLeaseNotFound", err)
	}
}
