package etcdadapter

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/brokerlock/brokerlock/brokerlock"
)

var _ brokerlock.Inspector = (*Adapter)(nil)

// Inspect returns lock id's holder and waiters in queue order (by create
// revision), whoever wrote their keys: this library, etcd's Mutex or
// `etcdctl lock`. It costs one range read plus one lease lookup per
// distinct lease. Errors: ctx's, the transport's, ErrClosed.
func (a *Adapter) Inspect(ctx context.Context, id string) (brokerlock.LockInfo, error) {
	if a.isClosed() {
		return brokerlock.LockInfo{}, brokerlock.ErrClosed
	}
	pfx := LockPrefix(a.prefix, id)
	resp, err := a.client.Get(ctx, pfx, clientv3.WithPrefix())
	if err != nil {
		return brokerlock.LockInfo{}, fmt.Errorf("etcdadapter: read %q: %w", pfx, err)
	}
	return lockInfo(id, resp.Kvs, a.leaseExpiries(ctx, resp.Kvs)), nil
}

// List returns every lock under the adapter's prefix that has a holder,
// sorted by id, each as Inspect would.
func (a *Adapter) List(ctx context.Context) ([]brokerlock.LockInfo, error) {
	if a.isClosed() {
		return nil, brokerlock.ErrClosed
	}
	resp, err := a.client.Get(ctx, a.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcdadapter: list %q: %w", a.prefix, err)
	}
	leases := a.leaseExpiries(ctx, resp.Kvs)
	byID := map[string][]*mvccpb.KeyValue{}
	for _, kv := range resp.Kvs {
		if id, ok := idOfKey(a.prefix, string(kv.Key)); ok {
			byID[id] = append(byID[id], kv)
		}
	}
	infos := make([]brokerlock.LockInfo, 0, len(byID))
	for id, kvs := range byID {
		infos = append(infos, lockInfo(id, kvs, leases))
	}
	slices.SortFunc(infos, func(x, y brokerlock.LockInfo) int { return cmp.Compare(x.ID, y.ID) })
	return infos, nil
}

// lockInfo orders a lock's keys by create revision and sorts them into
// holders and waiters by each key's admission rule (see waitTurn).
func lockInfo(id string, kvs []*mvccpb.KeyValue, leases map[int64]leaseInfo) brokerlock.LockInfo {
	kvs = slices.SortedFunc(slices.Values(kvs), func(x, y *mvccpb.KeyValue) int {
		return cmp.Compare(x.CreateRevision, y.CreateRevision)
	})
	entries := make([]brokerlock.Entry, len(kvs))
	for i, kv := range kvs {
		entries[i] = entryOf(kv, leases[kv.Lease])
	}
	info := brokerlock.LockInfo{ID: id}
	var holders []brokerlock.Entry
	for i, e := range entries {
		if !holds(entries, i) {
			e.AcquiredAt = time.Time{}
			info.Waiters = append(info.Waiters, e)
			continue
		}
		if e.AcquiredAt.IsZero() {
			e.AcquiredAt = e.QueuedAt // it held at once, or its record is on its way
		}
		holders = append(holders, e)
	}
	info.SetHolders(holders...)
	return info
}

// holds applies the admission rules to the i-th oldest key: a Semaphore
// permit holds with fewer than its limit ahead, a reader with no writer
// ahead, anything else at the head.
func holds(entries []brokerlock.Entry, i int) bool {
	switch e := entries[i]; {
	case e.Limit > 0:
		return i < e.Limit
	case e.Shared:
		return !slices.ContainsFunc(entries[:i], func(x brokerlock.Entry) bool { return !x.Shared })
	}
	return i == 0
}

func entryOf(kv *mvccpb.KeyValue, l leaseInfo) brokerlock.Entry {
	e := brokerlock.Entry{Key: string(kv.Key), Token: kv.CreateRevision, Expires: l.expires}
	decodeValue(kv.Value, &e)
	if e.TTL == 0 {
		e.TTL = l.granted
	}
	return e
}

// idOfKey returns the lock id of a key under prefix: the unescaped path
// segment after it. Keys that are not a lock's (no segment) report false.
func idOfKey(prefix, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	seg, name, ok := strings.Cut(rest, "/")
	if !ok || seg == "" || name == "" {
		return "", false
	}
	return unescapeID(seg), true
}

// leaseInfo is what the server says about one lease.
type leaseInfo struct {
	granted time.Duration
	expires time.Time
}

// leaseExpiries looks up each distinct lease of kvs once. Best effort: a
// lease that cannot be looked up (gone meanwhile, no permission) is left
// out and its entries' Expires stays zero.
func (a *Adapter) leaseExpiries(ctx context.Context, kvs []*mvccpb.KeyValue) map[int64]leaseInfo {
	leases := map[int64]leaseInfo{}
	for _, kv := range kvs {
		if _, seen := leases[kv.Lease]; seen || kv.Lease == 0 {
			continue
		}
		now := time.Now()
		resp, err := a.client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease))
		if err != nil || resp.TTL < 0 {
			leases[kv.Lease] = leaseInfo{}
			continue
		}
		leases[kv.Lease] = leaseInfo{granted: time.Duration(resp.GrantedTTL) * time.Second,
			expires: now.Add(time.Duration(resp.TTL) * time.Second)}
	}
	return leases
}

// ForceRelease deletes the key of lock id's current holder, whoever wrote
// it, as an operator's escape hatch (`brokerlock release --force`): the
// holder's Done closes when it hears of it, the next waiter holds the
// lock at once, and only fencing stops the old holder's late writes. The
// delete is fenced by the key's create revision, so it never removes a
// newer holder. It returns the entry it removed, or nil when it removed
// nothing (nobody held the lock, or the holder released it meanwhile).
// The holder's lease, which may carry its other locks, stays.
func (a *Adapter) ForceRelease(ctx context.Context, id string) (*brokerlock.Entry, error) {
	info, err := a.Inspect(ctx, id)
	if err != nil || info.Holder == nil {
		return nil, err
	}
	h := info.Holder
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(h.Key), "=", h.Token)).
		Then(clientv3.OpDelete(h.Key)).Commit()
	if err != nil {
		return nil, fmt.Errorf("etcdadapter: delete %q: %w", h.Key, err)
	}
	if !resp.Succeeded {
		return nil, nil // released meanwhile
	}
	return h, nil
}
