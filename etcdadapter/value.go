package etcdadapter

import (
	"encoding/json"
	"fmt"
	"os"
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
	Queued    time.Time `json:"queued,omitzero"`
	Acquired  time.Time `json:"acquired,omitzero"`
}

// encodeValue is the value of q's key; acquired is zero until it holds.
func (q *acquisition) encodeValue(queued, acquired time.Time) string {
	b, err := json.Marshal(keyValue{
		Identity: q.a.identity, Label: q.req.Label, TTLms: q.req.TTL.Milliseconds(),
		KeepAlive: q.req.KeepAlive, Queued: queued.UTC(), Acquired: acquired.UTC(),
	})
	if err != nil {
		panic(fmt.Sprintf("etcdadapter: encode key value: %v", err)) // only strings, ints, times
	}
	return string(b)
}

// decodeValue fills what a key's value says into e; a value that is not
// ours (empty, another tool's) adds nothing.
func decodeValue(v []byte, e *brokerlock.Entry) {
	var kv keyValue
	if len(v) == 0 || json.Unmarshal(v, &kv) != nil {
		return
	}
	e.Identity, e.Label, e.KeepAlive = kv.Identity, kv.Label, kv.KeepAlive
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
