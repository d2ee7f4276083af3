package etcdadapter

import (
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

func deleteEvent(key string, rev int64) *mvccpb.Event {
	return &mvccpb.Event{Type: mvccpb.DELETE, Kv: &mvccpb.KeyValue{Key: []byte(key), ModRevision: rev}}
}

// turnCame counts a delete only if it came after the key's creation: the
// delete of an earlier key of the same name (names are reused; a range
// watch on a member that lags starts before the read, even before q's put)
// is neither a release of the key ahead nor q's loss.
func TestTurnCameIgnoresEarlierKeysOfTheSameName(t *testing.T) {
	q := &acquisition{key: "p/q", rev: 103}
	left := map[string]int64{"p/a": 102} // p/a was deleted at 101 and created again at 102
	if q.turnCame([]*mvccpb.Event{deleteEvent("p/q", 99), deleteEvent("p/a", 101)}, left) {
		t.Errorf("turnCame on the deletes of earlier p/a (101 < its creation at 102) and p/q (99 < 103): got true, want false")
	}
	if err := q.state.Err(); err != nil {
		t.Errorf("q after the delete of an earlier key of its name: got %v, want it waiting", err)
	}
	if _, ok := left["p/a"]; !ok {
		t.Errorf("keys left after p/a's earlier delete: got %v, want p/a still ahead", left)
	}
	if !q.turnCame([]*mvccpb.Event{deleteEvent("p/a", 104)}, left) {
		t.Errorf("turnCame on p/a's delete at 104: got false, want true (nothing left ahead)")
	}
}
