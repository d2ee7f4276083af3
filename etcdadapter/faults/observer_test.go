package faults_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// observer follows the election with Election.Observe from a client of
// its own (straight to the members, never cut off, but through member
// kills and restarts) and records every state it was sent.
type observer struct {
	adapter *etcdadapter.Adapter
	cancel  context.CancelFunc
	done    chan struct{}

	mu   sync.Mutex
	seen []observed
}

type observed struct {
	at     time.Time
	leader brokerlock.Leader
}

// startObserver observes the election of env e until stop.
func startObserver(t *testing.T, e *env) *observer {
	o := &observer{adapter: etcdadapter.New(e.cl.NewClient(t), etcdadapter.WithPrefix(e.prefix)), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	leaders := brokerlock.New(o.adapter).Election(lockID, brokerlock.ElectionOptions{}).Observe(ctx)
	go func() {
		defer close(o.done)
		for l := range leaders {
			o.mu.Lock()
			o.seen = append(o.seen, observed{at: time.Now(), leader: l})
			o.mu.Unlock()
		}
	}()
	return o
}

// stop ends the observation and closes its adapter.
func (o *observer) stop() {
	o.cancel()
	<-o.done
	_ = o.adapter.Close()
}

// check wants what Observe reported to be the truth, in order: every
// leader it named held a term with that token and value, tokens never go
// back, no state repeats, and it kept reporting after the last heal. A
// candidate whose key became the head but whose Campaign failed (its
// lease was declared dead while etcd was unreachable, or the workers
// were stopping) has a key but no term: Observe names what the server
// holds, so such leaders are allowed.
func (o *observer) check(e *env, res *result, lastHeal time.Time) {
	stopping := *e.stopping.Load()
	o.mu.Lock()
	defer o.mu.Unlock()
	terms := map[int64]*holdRec{}
	var failed []string // errors of campaigns that did not lead
	e.rec.mu.Lock()
	for _, hr := range e.rec.holds {
		terms[hr.token] = hr
	}
	for _, f := range e.rec.failedHolds {
		failed = append(failed, f.err.Error())
	}
	e.rec.mu.Unlock()
	campaignFailed := func(key string) bool {
		return slices.ContainsFunc(failed, func(err string) bool { return strings.Contains(err, strconv.Quote(key)) })
	}
	var last brokerlock.Leader
	leaders, after := 0, 0
	for i, s := range o.seen {
		l := s.leader
		switch hr := terms[l.Token]; {
		case i > 0 && l == last:
			e.t.Errorf("Observe sent %+v twice in a row", l)
		case l.Key != "" && l.Token < last.Token:
			e.t.Errorf("Observe went back in time: %+v after %+v", l, last)
		case l.Key != "" && hr == nil && s.at.Before(stopping) && !campaignFailed(l.Key):
			e.t.Errorf("Observe named leader %+v at %v, which held no such term", l, e.since(s.at))
		case l.Key != "" && hr != nil && (hr.key != l.Key || fmt.Sprintf("w%d", hr.worker) != l.Value):
			e.t.Errorf("Observe named leader %+v at %v, but term %d was %s's key %s", l, e.since(s.at), l.Token, hr.key, fmt.Sprintf("w%d", hr.worker))
		}
		if l.Key != "" {
			leaders++
			last = l
		}
		if s.at.After(lastHeal) {
			after++
		}
	}
	if after == 0 {
		e.t.Errorf("Observe reported nothing after the last heal (%d states before)", len(o.seen))
	}
	res.note("Observe: %d states, %d leaders, %d after the last heal", len(o.seen), leaders, after)
}
