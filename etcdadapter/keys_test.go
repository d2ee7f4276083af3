package etcdadapter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Locks "a", "a/b" and "a%2Fb" are independent: each can be held while
// the others are, and each hold's key is under its own prefix only.
func TestIDsIndependent(t *testing.T) {
	prefix := testPrefix(t)
	lock := brokerlock.New(newAdapter(t, prefix))
	ids := []string{"a", "a/b", "a%2Fb", "a/"}
	holds := make([]*brokerlock.Hold, len(ids))
	for i, id := range ids {
		h, err := lock.Item(id, brokerlock.Options{}).TryHold(testCtx(t))
		if err != nil {
			t.Fatalf("TryHold(%q) while %q are held: %v", id, ids[:i], err)
		}
		holds[i] = h
	}
	for i, h := range holds {
		want := etcdadapter.LockPrefix(prefix, ids[i])
		if !strings.HasPrefix(h.Key(), want) || strings.Contains(h.Key()[len(want):], "/") {
			t.Errorf("key of %q: got %q, want one segment under %q", ids[i], h.Key(), want)
		}
		if err := h.Release(testCtx(t)); err != nil {
			t.Error(err)
		}
	}
	requireNoKeys(t, prefix)
}

// Unicode, spaces, NUL, invalid UTF-8 and long ids work.
func TestUnusualIDs(t *testing.T) {
	prefix := testPrefix(t)
	lock := brokerlock.New(newAdapter(t, prefix))
	for _, id := range []string{"ü 日本", "with space", "nul\x00byte", "bad\xffutf8", strings.Repeat("x", 10_000)} {
		h := mustHold(t, lock.Item(id, brokerlock.Options{}))
		if err := h.Release(testCtx(t)); err != nil {
			t.Errorf("Release(%.20q): %v", id, err)
		}
	}
	requireNoKeys(t, prefix)
}

// Prefixes "myapp" and "myapp2" never share keys: lock "2x" under the one
// and lock "x" under the other are two locks (without the "/" that
// WithPrefix adds, both would live under "myapp2x/").
func TestPrefixesCannotCollide(t *testing.T) {
	ctx := testCtx(t)
	base := testPrefix(t)
	a := brokerlock.New(newAdapter(t, base+"myapp")).Item("2x", brokerlock.Options{})
	b := brokerlock.New(newAdapter(t, base+"myapp2")).Item("x", brokerlock.Options{})
	h := mustHold(t, a)
	defer h.Release(ctx)
	if reserved, err := b.IsReserved(ctx); err != nil || reserved {
		t.Errorf("lock x under prefix myapp2 while 2x under myapp is held: IsReserved got (%v, %v), want (false, nil)", reserved, err)
	}
	hb, err := b.TryHold(ctx)
	if err != nil {
		t.Fatalf("lock x under prefix myapp2: TryHold got %v, want the lock", err)
	}
	_ = hb.Release(ctx)
	if got, want := etcdadapter.LockPrefix("myapp", "2x"), "myapp/2x/"; got != want {
		t.Errorf(`LockPrefix("myapp", "2x"): got %q, want %q`, got, want)
	}
}

// WithLogger(nil) means no logging, not a panic at the first warning, and
// a nil Option changes nothing.
func TestWithLoggerNil(t *testing.T) {
	prefix := testPrefix(t)
	ctx := testCtx(t)
	a := etcdadapter.New(etcd.NewClient(t), etcdadapter.WithPrefix(prefix), etcdadapter.WithLogger(nil), nil)
	defer a.Close()
	h, err := brokerlock.New(a).Item("x", brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := etcd.Client().Delete(ctx, h.Key()); err != nil { // a loss: the adapter warns
		t.Fatal(err)
	}
	waitDone(t, h, 5*time.Second)
	_ = h.Release(ctx)
}
