package etcdadapter_test

import (
	"fmt"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// A relayed watch whose reader falls more than WaitBuffer responses
// behind ends: its channel closes after what it kept, and the adapter
// forgets it, rather than blocking the stream every other watch is on or
// keeping responses without bound. (Its reader then reads again.)
func TestRelayedWatchOfAReaderBehindEnds(t *testing.T) {
	pfx := testPrefix(t)
	a := newAdapter(t, pfx)
	ch, stop := etcdadapter.RelayPrefix(a, pfx+"x/")
	defer stop()
	if resp := nextResponse(t, ch); !resp.Created {
		t.Fatalf("first response: got %v, want the watch's creation", resp)
	}
	// a marker watch on the same stream: responses come in revision
	// order, so once it has the marker's put, ch has had every put's
	marker, stopMarker := etcdadapter.RelayPrefix(a, pfx+"marker")
	defer stopMarker()
	nextResponse(t, marker) // created
	for i := range etcdadapter.WaitBuffer + 10 {
		if _, err := etcd.Client().Put(testCtx(t), fmt.Sprintf("%sx/%03d", pfx, i), ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := etcd.Client().Put(testCtx(t), pfx+"marker", ""); err != nil {
		t.Fatal(err)
	}
	nextResponse(t, marker)
	stopMarker()
	kept := 0
	for open := true; open; {
		select {
		case _, open = <-ch:
			if open {
				kept++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("relayed watch %d responses behind: still open after %d responses, want closed", etcdadapter.WaitBuffer+10, kept)
		}
	}
	if kept != etcdadapter.WaitBuffer {
		t.Errorf("responses kept before the channel closed: got %d, want %d (the buffer)", kept, etcdadapter.WaitBuffer)
	}
	if n := etcdadapter.Relayed(a); n != 0 {
		t.Errorf("relayed watches after the one behind ended: got %d, want 0", n)
	}
}

// After Close a relayed watch ends at once (its reader, a waiter, then
// fails with ErrClosed instead of waiting for a stream nobody serves).
func TestRelayAfterCloseEndsAtOnce(t *testing.T) {
	pfx := testPrefix(t)
	a := newAdapter(t, pfx)
	a.Close()
	ch, stop := etcdadapter.RelayPrefix(a, pfx)
	defer stop()
	select {
	case resp, open := <-ch:
		if open {
			t.Errorf("relayed watch after Close: got %v, want its channel closed", resp)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("relayed watch after Close: still open after 5s, want closed at once")
	}
}

// nextResponse is ch's next response; the test fails if there is none
// within 10s.
func nextResponse(t *testing.T, ch <-chan *pb.WatchResponse) *pb.WatchResponse {
	t.Helper()
	select {
	case resp, ok := <-ch:
		if !ok {
			t.Fatalf("relayed watch ended, want a response")
		}
		return resp
	case <-time.After(10 * time.Second):
		t.Fatalf("relayed watch: no response in 10s")
	}
	return nil
}
