package brokerlocktest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// failingCalls returns every Item method that must fail on an item that
// cannot lock (invalid, or on a closed adapter), each also checking that
// nothing was handed out: no hold, no true, no fn run.
func failingCalls(t *testing.T) []itemCall {
	return []itemCall{
		{"Acquire", func(ctx context.Context, it *brokerlock.Item) error { return it.Acquire(ctx) }},
		{"Try", func(ctx context.Context, it *brokerlock.Item) error {
			ok, err := it.Try(ctx)
			wantFalse(t, it.ID()+": Try's bool", ok)
			return err
		}},
		{"Hold", func(ctx context.Context, it *brokerlock.Item) error {
			h, err := it.Hold(ctx)
			wantFalse(t, it.ID()+": Hold returned a hold", h != nil)
			return err
		}},
		{"TryHold", func(ctx context.Context, it *brokerlock.Item) error {
			h, err := it.TryHold(ctx)
			wantFalse(t, it.ID()+": TryHold returned a hold", h != nil)
			return err
		}},
		{"Do", func(ctx context.Context, it *brokerlock.Item) error {
			return it.Do(ctx, doNotCalled(t, "on an item that cannot lock"))
		}},
		{"IsReserved", func(ctx context.Context, it *brokerlock.Item) error {
			reserved, err := it.IsReserved(ctx)
			wantFalse(t, it.ID()+": IsReserved's bool", reserved)
			return err
		}},
	}
}

// invalidInput: a bad id or option makes every Item method fail at once
// with ErrInvalid, naming the field and its value, and lock nothing;
// Release, which has nothing to release, returns nil.
func (s suite) invalidInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(testContext(t), waitBound)
	defer cancel()
	id := uniqueID(t)
	bl := s.locks(t, 1)[0]
	tooLong := brokerlock.MaxTTL + time.Second
	cases := []struct {
		name, id string
		opts     brokerlock.Options
		want     string // in the message: the field and its value
	}{
		{"empty id", "", brokerlock.Options{}, `id ""`},
		{"negative TTL", id, brokerlock.Options{TTL: -time.Second}, "Options.TTL -1s"},
		{"TTL below MinTTL", id, brokerlock.Options{TTL: time.Nanosecond}, "Options.TTL 1ns"},
		{"TTL above MaxTTL", id, brokerlock.Options{TTL: tooLong}, "Options.TTL " + tooLong.String()},
		{"Timeout above MaxTimeout", id, brokerlock.Options{Timeout: tooLong}, "Options.Timeout " + tooLong.String()},
	}
	for _, c := range cases {
		it := bl.Item(c.id, c.opts)
		for _, m := range failingCalls(t) {
			err := m.call(ctx, it)
			wantErrIs(t, c.name+": "+m.name, err, brokerlock.ErrInvalid)
			if err != nil && !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %s: got message %q, want it to contain %q", c.name, m.name, err, c.want)
			}
		}
		wantNoErr(t, c.name+": Release", it.Release(ctx))
	}
	wantReserved(t, ctx, "after the invalid calls", false, bl.Item(id, waitOpts))
}

// unusualIDs: any non-empty byte string is a lock id of its own:
// Unicode, spaces, NUL, invalid UTF-8, slashes, percent signs, a thousand
// bytes. Ids that a lossy encoding would conflate (case, NUL truncation,
// UTF-8 repair, Unicode normalisation, length limits) are held at the
// same time and must not exclude each other.
func (s suite) unusualIDs(t *testing.T) {
	ctx := testContext(t)
	base := uniqueID(t)
	bls := s.locks(t, 2)
	long := base + strings.Repeat("x", 1000-len(base))
	ids := []string{
		"schlüssel-🔒" + base, "schlu\u0308ssel-🔒" + base, "schlussel-🔒" + base,
		"with space" + base, "with  space" + base, "with_space" + base,
		base + "nul\x00a", base + "nul\x00b", base + "nul",
		"bad\xff" + base, "bad\xfe" + base, "bad\ufffd" + base,
		"Case" + base, "case" + base,
		"/a//b/" + base + "/", "%2F%25%" + base,
		long, long[:len(long)-1] + "y", long + "z",
	}
	var holds []*brokerlock.Hold
	for _, id := range ids {
		h, err := bls[0].Item(id, waitOpts).TryHold(ctx)
		if err != nil {
			t.Errorf("TryHold(%q) with the other unusual ids held: got error %v, want the lock", id, err)
			continue
		}
		holds = append(holds, h)
	}
	for _, h := range holds {
		wantHeldElsewhere(t, ctx, bls[1].Item(h.ID(), waitOpts))
		wantNoErr(t, fmt.Sprintf("Release(%q)", h.ID()), h.Release(ctx))
	}
	for _, id := range ids {
		wantReserved(t, ctx, fmt.Sprintf("%q released", id), false, bls[1].Item(id, waitOpts))
	}
}

// wantHeldElsewhere wants the lock of it, an item on another client, held.
func wantHeldElsewhere(t *testing.T, ctx context.Context, it *brokerlock.Item) {
	t.Helper()
	wantReserved(t, ctx, fmt.Sprintf("%q held", it.ID()), true, it)
	_, err := it.TryHold(ctx)
	wantErrIs(t, fmt.Sprintf("TryHold(%q) from another client", it.ID()), err, brokerlock.ErrLocked)
}
