package brokerlocktest

import (
	"fmt"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// errorTexts: the common errors read the same on every adapter, naming
// the lock once and with one "brokerlock: " prefix: TryHold on a held
// lock, a Hold that times out, a Hold on a closed adapter.
func (s suite) errorTexts(t *testing.T) {
	ctx := testContext(t)
	id := uniqueID(t)
	h := mustHold(t, ctx, s.locks(t, 1)[0].Item(id, waitOpts))
	bl, p := s.probed(t)
	_, err := bl.Item(id, waitOpts).TryHold(ctx)
	wantText(t, "TryHold on a held lock", err,
		fmt.Sprintf(`brokerlock: lock %q: locked by someone else (holder's token %d)`, id, h.Token()))
	_, err = bl.Item(id, brokerlock.Options{Timeout: 100 * time.Millisecond}).Hold(ctx)
	wantText(t, "Hold that timed out", err,
		fmt.Sprintf(`brokerlock: lock %q: timed out waiting for the lock after 100ms (context deadline exceeded)`, id))
	wantNoErr(t, "Close", p.Adapter.Close())
	_, err = bl.Item(id, waitOpts).Hold(ctx)
	wantText(t, "Hold on a closed adapter", err, fmt.Sprintf(`brokerlock: lock %q: adapter closed`, id))
}

func wantText(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s: got error %v, want %q", what, err, want)
	}
}
