package brokerlock

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultElectionTTL is ElectionOptions.TTL's default, client-go's
// LeaseDuration default.
const DefaultElectionTTL = 15 * time.Second

// MinElectionTTL bounds ElectionOptions.TTL from below: a lease renewed
// every third of its TTL needs a second to do so reliably.
const MinElectionTTL = time.Second

// MaxValue bounds the value of a candidate or leader in bytes: it must fit
// in one etcd request (1.5 MiB by default) with its key.
const MaxValue = 1536*1024 - 1024

// ElectionOptions are the options of one Election. Zero fields take the
// defaults.
type ElectionOptions struct {
	// TTL is the TTL of the lease that carries a candidate's key. It is
	// renewed while campaigning and leading, so it only bounds how long a
	// crashed or cut-off leader blocks the next one: a leader that cannot
	// renew is told (Term.Done) before the server could elect the next.
	// 0 means DefaultElectionTTL; otherwise between MinElectionTTL and
	// MaxTTL. etcd grants whole seconds, at least its minimum (2s by
	// default); Term.Expires and every bound use what it granted.
	TTL time.Duration
}

func (o ElectionOptions) withDefaults() ElectionOptions {
	if o.TTL == 0 {
		o.TTL = DefaultElectionTTL
	}
	return o
}

// Validate reports whether Election would refuse o, as Options.Validate
// does for a lock.
func (o ElectionOptions) Validate() error { return o.withDefaults().validate() }

func (o ElectionOptions) validate() error {
	if o.TTL < MinElectionTTL || o.TTL > MaxTTL {
		return fmt.Errorf("%w: ElectionOptions.TTL %v: want between %v and %v (0 for the default %v)",
			ErrInvalid, o.TTL, MinElectionTTL, MaxTTL, DefaultElectionTTL)
	}
	return nil
}

// Leader is the head of an election's queue: the candidate that leads.
// The zero Leader means nobody leads.
type Leader struct {
	Key   string // the leader's key (etcd: the full key)
	Value string // the value it proclaimed
	// Token is the leader key's create revision: the term's fencing
	// token, as Term.Token.
	Token int64
}

// Election is one named leader election with its options: candidates
// queue in FIFO order, the first one leads until it resigns or loses its
// term, and anyone can ask who leads and watch it change. It is safe for
// concurrent use by many goroutines.
//
// On etcd it is the lock's key layout with the candidate's value as the
// key's value, which is etcd's own Election layout: `etcdctl elect`,
// `etcdctl elect -l` and concurrency.Election on the same name take part
// in it and read it. An Election and a lock on one name share one queue.
type Election struct {
	adapter Adapter
	name    string
	opts    ElectionOptions
	invalid error // non-nil: every call returns it
}

// Election returns the election called name with opts. It does no I/O. An
// empty name or invalid options make every call return an error wrapping
// ErrInvalid (Observe's channel is then closed at once).
func (l *BrokerLock) Election(name string, opts ElectionOptions) *Election {
	opts = opts.withDefaults()
	err := opts.validate()
	if name == "" {
		err = fmt.Errorf("%w: election name %q: want a non-empty string", ErrInvalid, name)
	}
	return &Election{adapter: l.adapter, name: name, opts: opts, invalid: err}
}

// Name returns the election's name.
func (e *Election) Name() string { return e.name }

// Options returns the election's options with the defaults filled in.
func (e *Election) Options() ElectionOptions { return e.opts }

// Err returns the error wrapping ErrInvalid that every call returns when
// the name or options are invalid, and nil otherwise.
func (e *Election) Err() error { return e.invalid }

// Campaign queues value's candidate and blocks until it leads, in FIFO
// order with every other candidate, and returns its Term. The lease is
// renewed while it waits and while it leads. It returns ctx's error when
// ctx is done first, and an error wrapping ErrLockLost at once when the
// candidate's key or lease vanishes while it waits; either way nothing of
// the candidate is left queued.
func (e *Election) Campaign(ctx context.Context, value string) (*Term, error) {
	if err := e.check(value); err != nil {
		return nil, err
	}
	req := Request{Kind: KindElection, TTL: e.opts.TTL, KeepAlive: true, Election: true, Value: value}
	acq, err := e.adapter.Acquire(ctx, e.name, req)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, callErr(err, "election %q: campaign", e.name)
	}
	return &Term{name: e.name, acq: acq, value: value}, nil
}

// check returns the election's invalid error or value's.
func (e *Election) check(value string) error {
	if e.invalid != nil {
		return e.invalid
	}
	return checkValue(e.name, value)
}

func checkValue(name, value string) error {
	if len(value) > MaxValue {
		return fmt.Errorf("%w: election %q: value of %d bytes: want at most %d (MaxValue)",
			ErrInvalid, name, len(value), MaxValue)
	}
	return nil
}

// Leader returns who leads now, or an error wrapping ErrNoLeader when
// nobody does.
func (e *Election) Leader(ctx context.Context) (Leader, error) {
	if e.invalid != nil {
		return Leader{}, e.invalid
	}
	head, err := e.adapter.Head(ctx, e.name)
	switch {
	case err != nil:
		return Leader{}, callErr(err, "election %q: leader", e.name)
	case head.Key == "":
		return Leader{}, callErr(ErrNoLeader, "election %q", e.name)
	}
	return head, nil
}

// Observe sends who leads: the current state first (the zero Leader when
// nobody leads), then every change: a new leader, a new value, nobody. A
// slow receiver may miss intermediate states but always gets the latest;
// it never gets an older state after a newer one, nor the same state
// twice in a row. It survives compaction, reconnects and member restarts.
// The channel is closed when ctx is done or the adapter is closed; cancel
// ctx to stop it.
func (e *Election) Observe(ctx context.Context) <-chan Leader {
	if e.invalid != nil {
		ch := make(chan Leader)
		close(ch)
		return ch
	}
	return e.adapter.WatchHead(ctx, e.name)
}

// Inspect returns the election's queue: Holder (and Holders[0]) is the
// leader, Waiters are the candidates in order, each with its Value. It
// fails with an error wrapping errors.ErrUnsupported when the adapter is
// not an Inspector.
func (e *Election) Inspect(ctx context.Context) (LockInfo, error) {
	if e.invalid != nil {
		return LockInfo{}, e.invalid
	}
	return inspect(ctx, e.adapter, "election", e.name)
}
