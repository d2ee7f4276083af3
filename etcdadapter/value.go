package etcdadapter

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// keyValue is what an acquisition's key holds, for whoever inspects the
// lock (Inspect, List, `brokerlock status`). Keys of etcd's Mutex and
// `etcdctl lock` hold "": every field is optional.
type keyValue struct {
	Identity  string    `json:"identity,omitempty"`
	Label     string    `json:"label,omitempty"`
	TTLms     int64     `json:"ttl_ms,omitempty"`
	KeepAlive bool      `json:"keepalive,omitempty"`
	Limit     int       `json:"limit,omitempty"`  // a Semaphore's permit
	Shared    bool      `json:"shared,omitempty"` // an RWLock reader
	Queued    time.Time `json:"queued,omitzero"`
	Acquired  time.Time `json:"acquired,omitzero"`
}

// initialValue is what q's put writes: an election candidate's value, or
// the description of a lock request.
func (q *acquisition) initialValue() string {
	if q.req.Election {
		return q.req.Value
	}
	return q.encodeValue(time.Unix(0, q.queued), time.Time{})
}

// encodeValue is the value of q's key; acquired is zero until it holds.
// It writes what json.Marshal of keyValue would, without reflection: it
// is on every acquisition's path.
func (q *acquisition) encodeValue(queued, acquired time.Time) string {
	b := make([]byte, 0, 192)
	b = append(b, '{')
	if q.a.identity != "" {
		b = appendJSONString(append(b, `"identity":`...), q.a.identity)
	}
	if q.req.Label != "" {
		b = appendJSONString(append(appendComma(b), `"label":`...), q.req.Label)
	}
	if ttl := q.req.TTL.Milliseconds(); ttl != 0 {
		b = strconv.AppendInt(append(appendComma(b), `"ttl_ms":`...), ttl, 10)
	}
	if q.req.KeepAlive {
		b = append(appendComma(b), `"keepalive":true`...)
	}
	if q.req.Limit > 0 {
		b = strconv.AppendInt(append(appendComma(b), `"limit":`...), int64(q.req.Limit), 10)
	}
	if q.req.Shared {
		b = append(appendComma(b), `"shared":true`...)
	}
	b = appendTime(b, `"queued":"`, queued)
	b = appendTime(b, `"acquired":"`, acquired)
	return string(append(b, '}'))
}

func appendComma(b []byte) []byte {
	if len(b) > 1 {
		return append(b, ',')
	}
	return b
}

// appendTime appends field (its name, colon and opening quote) and t in
// UTC as encoding/json writes a time.Time; nothing when t is zero.
func appendTime(b []byte, field string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(appendComma(b), field...)
	return append(t.UTC().AppendFormat(b, time.RFC3339Nano), '"')
}

// appendJSONString appends s as a JSON string. Printable ASCII that
// encoding/json leaves alone is copied; anything else goes through
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(b, quoted...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// decodeValue fills what a key's value says into e. A value that is not
// brokerlock's description of a lock (an election's value, another tool's,
// empty) is e.Value. Descriptions are told apart by their queue time,
// which every lock key of brokerlock has.
func decodeValue(v []byte, e *brokerlock.Entry) {
	var kv keyValue
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &kv) != nil || kv.Queued.IsZero() {
		e.Value = string(v)
		return
	}
	e.Identity, e.Label, e.KeepAlive, e.Limit, e.Shared = kv.Identity, kv.Label, kv.KeepAlive, kv.Limit, kv.Shared
	e.TTL = time.Duration(kv.TTLms) * time.Millisecond
	e.QueuedAt, e.AcquiredAt = kv.Queued, kv.Acquired
}

// defaultIdentity is "hostname/pid".
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
