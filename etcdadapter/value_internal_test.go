package etcdadapter

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// encodeValue writes exactly what json.Marshal of keyValue writes, for
// identities and labels that need escaping too, and for every optional
// field present or not.
func TestEncodeValueIsJSONMarshal(t *testing.T) {
	queued := time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	acquired := queued.Add(1500 * time.Millisecond)
	tests := []struct {
		identity, label string
		ttl             time.Duration
		keepAlive       bool
		queued, held    time.Time
	}{
		{"host/42", "", 2 * time.Minute, false, queued, time.Time{}},
		{"host/42", "nightly report", 1500 * time.Millisecond, true, queued, acquired},
		{"", "", 0, false, time.Time{}, time.Time{}},
		{"", "only label", 0, false, time.Time{}, acquired},
		{`pod "a"\b`, "<tag> & \x00\t\u2028 é \xff", time.Second, true, queued, acquired},
	}
	for _, tt := range tests {
		q := &acquisition{a: &Adapter{identity: tt.identity},
			req: brokerlock.Request{TTL: tt.ttl, KeepAlive: tt.keepAlive, Label: tt.label}}
		want, err := json.Marshal(keyValue{Identity: tt.identity, Label: tt.label, TTLms: tt.ttl.Milliseconds(),
			KeepAlive: tt.keepAlive, Queued: utcOrZero(tt.queued), Acquired: utcOrZero(tt.held)})
		if err != nil {
			t.Fatal(err)
		}
		if got := q.encodeValue(tt.queued, tt.held); got != string(want) {
			t.Errorf("encodeValue(%+v):\n got %s\nwant %s", tt, got, want)
		}
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
