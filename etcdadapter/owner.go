package etcdadapter

import (
	clientv3 "go.etcd.io/etcd/client/v3"
)

// IsOwner is the fencing comparison for h: CreateRevision(h.Key()) ==
// h.Token(). Put it in a txn's If to write only while h holds the lock;
// once h is released or lost the txn's Else branch runs instead, whatever
// the holder's own clock believed.
//
//	resp, err := client.Txn(ctx).If(etcdadapter.IsOwner(h)).Then(clientv3.OpPut("k", "v")).Commit()
//	// resp.Succeeded is false when h no longer held the lock.
//
// It takes anything with Key and Token: a *brokerlock.Hold, and a
// *brokerlock.Term, whose writes it fences by the term.
func IsOwner(h interface {
	Key() string
	Token() int64
}) clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(h.Key()), "=", h.Token())
}
