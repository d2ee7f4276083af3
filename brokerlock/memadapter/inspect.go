package memadapter

import (
	"context"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

var _ brokerlock.Inspector = (*Adapter)(nil)

// Inspect returns lock id's holder and waiters in queue order, through
// any handle of the table. Each handle's identity is "memadapter/<n>",
// the n-th handle made on the table (New is 1). Waiters have no key or
// token yet.
func (a *Adapter) Inspect(ctx context.Context, id string) (brokerlock.LockInfo, error) {
	if err := ctx.Err(); err != nil {
		return brokerlock.LockInfo{}, err
	}
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	if a.closed {
		return brokerlock.LockInfo{}, brokerlock.ErrClosed
	}
	info := brokerlock.LockInfo{ID: id}
	var holders []brokerlock.Entry
	for _, e := range a.table.queues[id] {
		if e.granted {
			holders = append(holders, e.infoLocked())
			continue
		}
		info.Waiters = append(info.Waiters, e.infoLocked())
	}
	info.SetHolders(holders...)
	return info, nil
}

func (e *entry) infoLocked() brokerlock.Entry {
	info := brokerlock.Entry{Identity: e.owner.identity, Label: e.label, TTL: e.ttl,
		KeepAlive: e.keepAlive, QueuedAt: e.queued, Value: e.value, Limit: e.limit, Shared: e.shared}
	if e.granted {
		info.Key, info.Token, info.AcquiredAt, info.Expires = e.key, e.token, e.acquired, e.expires
		if e.keepAlive {
			info.Expires = time.Now().Add(e.ttl)
		}
	}
	return info
}
