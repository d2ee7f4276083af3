package brokerlock_test

import (
	"context"
	"errors"
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// cancelOnWin cancels the caller's ctx right after a Campaign won: the
// race of ctx ending just as the candidate is elected.
type cancelOnWin struct {
	brokerlock.Adapter
	cancel context.CancelFunc
}

func (c cancelOnWin) Acquire(ctx context.Context, id string, req brokerlock.Request) (brokerlock.Acquisition, error) {
	acq, err := c.Adapter.Acquire(ctx, id, req)
	c.cancel()
	return acq, err
}

// A term won just as Run's ctx ended is resigned, not left leading.
func TestRunResignsTermWonAsCtxEnded(t *testing.T) {
	a := memadapter.New()
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	e := brokerlock.New(cancelOnWin{a, cancel}).Election("e", brokerlock.ElectionOptions{})
	err := e.Run(ctx, "v", func(context.Context, *brokerlock.Term) error {
		t.Error("fn ran after ctx ended")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want an error wrapping context.Canceled", err)
	}
	if _, err := brokerlock.New(a).Election("e", brokerlock.ElectionOptions{}).Leader(context.Background()); !errors.Is(err, brokerlock.ErrNoLeader) {
		t.Errorf("Leader after Run returned: got %v, want ErrNoLeader (the term resigned)", err)
	}
}
