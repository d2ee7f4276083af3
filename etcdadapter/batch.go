package etcdadapter

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Group commit. The puts that queue acquisitions and the deletes that
// release them are the adapter's hot writes. A write sent while the
// adapter has no other in flight goes alone, exactly as it would without
// batching: no delay. Writes that come while one is in flight wait for it
// and then go together, each as one operation of a single etcd txn (a
// nested txn for a put, a plain delete for a release): one request, one
// raft entry and one apply for all of them, instead of one each.
//
// A txn is applied whole or not at all, and its writes share one
// revision. So a batch never holds two writes under one lock's prefix
// (two keys with one create revision would tie for the lock's order; a
// second write of a lock goes in another txn, sent at the same time, as
// it would have been without batching), and a batch that etcd refuses
// (a lease one of its puts names is gone, say) is retried write by write,
// so that each gets its own answer; a refused txn wrote nothing. A batch
// whose answer is lost is a lost answer for each of its writes, which
// their callers already handle.

// maxBatch bounds the writes in one txn: etcd refuses a txn of more than
// --max-txn-ops operations, 128 by default. (With a server set lower, a
// larger batch is refused and its writes are sent one by one: correct,
// and no faster than without batching.)
const maxBatch = 64

// maxBatchBytes bounds the keys and values of one txn's writes, well
// under etcd's --max-request-bytes (1.5 MiB by default); a larger write
// goes in a txn of its own.
const maxBatchBytes = 256 << 10

// maxSending bounds the adapter's writes in flight at once (a write
// stops counting once it has waited requestTimeout); writes beyond it
// queue and go together in the next txn.
const maxSending = 1

// batcher groups an adapter's concurrent writes into txns.
type batcher struct {
	a       *Adapter
	mu      sync.Mutex
	sending int      // txns in flight
	queue   []*write // waiting for a txn, oldest first

	enqueued chan<- struct{} // tests only: told of every queued write
}

// write is one write waiting for its txn, and then its answer.
type write struct {
	ctx  context.Context // the caller's
	pfx  string          // the lock's prefix
	op   clientv3.Op     // an OpTxn or an OpDelete
	size int             // bytes of keys and values
	done chan struct{}
	resp *pb.TxnResponse // an OpTxn's, with the header of the txn that carried it
	err  error
}

// errNotSent: the caller's ctx ended while its write waited for a txn;
// nothing was sent.
var errNotSent = errors.New("etcdadapter: write not sent")

// errAlone: the batch was refused; the write must be sent alone.
var errAlone = errors.New("etcdadapter: batch refused")

// commit sends op (an OpTxn or an OpDelete of one key under the lock
// prefix pfx, whose keys and values have size bytes), alone or batched
// with the adapter's other writes, and returns an OpTxn's response. If
// ctx ends while op waits for a txn, nothing is sent (errNotSent, with
// ctx's error); if it ends once op's txn is in flight, op may still be
// applied, as with any request whose answer is lost.
func (b *batcher) commit(ctx context.Context, pfx string, size int, op clientv3.Op) (*pb.TxnResponse, error) {
	w := &write{ctx: ctx, pfx: pfx, op: op, size: size}
	if !b.enqueue(w) {
		end := b.endSending()
		resp, err := b.alone(ctx, op)
		end()
		return resp, err
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		if b.withdraw(w) {
			return nil, errors.Join(errNotSent, ctx.Err())
		}
		return nil, ctx.Err() // in flight: the outcome is unknown
	}
	if errors.Is(w.err, errAlone) {
		return b.alone(ctx, op)
	}
	return w.resp, w.err
}

// enqueue queues w and reports true if a write is in flight; otherwise
// the caller sends w alone at once.
func (b *batcher) enqueue(w *write) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sending < maxSending {
		b.sending++
		return false
	}
	w.done = make(chan struct{})
	b.queue = append(b.queue, w)
	if b.enqueued != nil {
		b.enqueued <- struct{}{}
	}
	return true
}

// withdraw takes w off the queue and reports whether it was still there.
func (b *batcher) withdraw(w *write) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.queue, w)
	if i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
	return i >= 0
}

// alone sends op by itself, as the request it is.
func (b *batcher) alone(ctx context.Context, op clientv3.Op) (*pb.TxnResponse, error) {
	resp, err := b.a.client.Do(ctx, op)
	if err != nil || !op.IsTxn() {
		return nil, err
	}
	return (*pb.TxnResponse)(resp.Txn()), nil
}

// endSending returns what ends a lone write in flight: called when it is
// answered, or by itself after requestTimeout, whichever comes first, so
// that a request a silent connection swallowed holds up the adapter's
// other writes no longer than that (it still waits for its answer).
func (b *batcher) endSending() func() {
	end := sync.OnceFunc(b.sent)
	timer := time.AfterFunc(requestTimeout, end)
	return func() {
		timer.Stop()
		end()
	}
}

// sent ends a write in flight: the queued writes go next, in a goroutine
// of the adapter's, which sends them until the queue is empty.
func (b *batcher) sent() {
	txns := b.next()
	if txns == nil {
		return
	}
	if b.a.goTracked(func() { b.sendAll(txns) }) {
		return
	}
	for ; txns != nil; txns = b.next() { // closed: each caller sends its own
		for _, t := range txns {
			answer(t.writes, nil, errAlone)
		}
	}
}

// batch is the writes of one txn.
type batch struct {
	writes []*write
	size   int // bytes of their keys and values
}

// fits reports whether w can join t: no two writes of one lock share a
// txn, and a txn has at most maxBatch writes and maxBatchBytes (unless
// it has a single one).
func (t *batch) fits(w *write) bool {
	switch {
	case len(t.writes) == 0:
		return true
	case len(t.writes) == maxBatch || t.size+w.size > maxBatchBytes:
		return false
	}
	return !slices.ContainsFunc(t.writes, func(o *write) bool { return o.pfx == w.pfx })
}

// next takes the whole queue off as txns, each write in the first it
// fits, oldest first; or, with the queue empty, ends the sending (nil).
// Writes of one lock go in txns of their own, sent at the same time, as
// they were without batching.
func (b *batcher) next() []batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.sending--
		return nil
	}
	var txns []batch
	for _, w := range b.queue {
		i := slices.IndexFunc(txns, func(t batch) bool { return t.fits(w) })
		if i < 0 {
			txns, i = append(txns, batch{}), len(txns)
		}
		txns[i].writes, txns[i].size = append(txns[i].writes, w), txns[i].size+w.size
	}
	clear(b.queue)
	b.queue = b.queue[:0]
	return txns
}

// sendAll sends txns, and then what was queued meanwhile, until the
// queue is empty.
func (b *batcher) sendAll(txns []batch) {
	for ; txns != nil; txns = b.next() {
		b.sendRound(txns)
	}
}

// sendRound sends txns at the same time and returns once all are
// answered, or after requestTimeout: a txn that a silent connection
// swallowed holds up the next ones no longer than that (its writes still
// wait for its answer, while any of their callers waits: whileAnyWaits).
func (b *batcher) sendRound(txns []batch) {
	answered := make(chan struct{}, len(txns))
	for _, t := range txns {
		if !b.a.goTracked(func() { b.send(t.writes); answered <- struct{}{} }) {
			answer(t.writes, nil, errAlone) // closed: each caller sends its own
			answered <- struct{}{}
		}
	}
	timer := time.NewTimer(requestTimeout)
	defer timer.Stop()
	for range txns {
		select {
		case <-answered:
		case <-timer.C:
			return
		}
	}
}

// send sends writes as one txn and answers them.
func (b *batcher) send(writes []*write) {
	ops := make([]clientv3.Op, len(writes))
	for i, w := range writes {
		ops[i] = w.op
	}
	ctx, cancel := whileAnyWaits(b.a.ctx, writes)
	defer cancel()
	resp, err := b.a.client.Txn(ctx).Then(ops...).Commit()
	switch {
	case err == nil:
		answer(writes, (*pb.TxnResponse)(resp), nil)
	case mayPass(err):
		answer(writes, nil, err)
	default:
		answer(writes, nil, errAlone)
	}
}

// whileAnyWaits returns a context of parent's that ends once every one of
// writes' callers has stopped waiting (their contexts are done): a txn
// lasts as long as the request of each of its writes alone would have,
// and one that a silent connection swallowed frees the adapter's writes
// once nobody waits for it (a caller's context ends, at the latest, with
// its lease; a release's within requestTimeout).
func whileAnyWaits(parent context.Context, writes []*write) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	var waiting atomic.Int64
	waiting.Store(int64(len(writes)))
	stops := make([]func() bool, len(writes))
	for i, w := range writes {
		stops[i] = context.AfterFunc(w.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// answer gives each of writes its part of the txn's response, or err.
func answer(writes []*write, resp *pb.TxnResponse, err error) {
	for i, w := range writes {
		w.err = err
		if nested := resp.GetResponses(); nested != nil {
			if t := nested[i].GetResponseTxn(); t != nil {
				t.Header = resp.Header
				w.resp = t
			}
		}
		close(w.done)
	}
}
