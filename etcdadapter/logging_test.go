package etcdadapter_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
	added   chan struct{} // closed and replaced by every record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	if r.added != nil {
		close(r.added)
		r.added = nil
	}
	return nil
}

// await returns find(msg) once such a record is there, or nil when ctx
// ends first.
func (r *recorder) await(ctx context.Context, msg string) map[string]string {
	for {
		r.mu.Lock()
		if r.added == nil {
			r.added = make(chan struct{})
		}
		added := r.added
		r.mu.Unlock()
		if got := r.find(msg); got != nil {
			return got
		}
		select {
		case <-added:
		case <-ctx.Done():
			return nil
		}
	}
}

// find returns the attributes of the first record with msg, or nil.
func (r *recorder) find(msg string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.records {
		if rec.Message == msg {
			attrs := map[string]string{"level": rec.Level.String()}
			rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			return attrs
		}
	}
	return nil
}

// A lost lock is logged at Warn with its id and key; a released one is not.
func TestLoggerReportsLoss(t *testing.T) {
	prefix := testPrefix(t)
	log := &recorder{}
	a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix(prefix), etcdadapter.WithLogger(slog.New(log)))
	defer a.Close()
	item := brokerlock.New(a).Item("job", brokerlock.Options{})
	released := mustHold(t, item)
	if err := released.Release(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := log.find("brokerlock: lock lost"); got != nil {
		t.Fatalf("after Release: got a loss logged %v, want none", got)
	}
	h := mustHold(t, item)
	if _, err := etcd.Client().Delete(testCtx(t), h.Key()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, h, 5*time.Second)
	// Done closes first: a slow log handler never delays the news.
	got := log.await(testCtx(t), "brokerlock: lock lost")
	if got == nil || got["level"] != "WARN" || got["lock"] != "job" || got["key"] != h.Key() {
		t.Errorf("after the key was deleted: got loss record %v, want WARN with lock job and key %q", got, h.Key())
	}
}
