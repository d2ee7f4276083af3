package main

import (
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// lockJSON is one lock in `status -o json` and `list -o json`.
type lockJSON struct {
	Name    string      `json:"name"`
	Free    bool        `json:"free"`
	Holder  *entryJSON  `json:"holder,omitempty"`
	Holders []entryJSON `json:"holders"` // every holder, oldest first (Holder is the first); [] when none
	Waiters []entryJSON `json:"waiters"` // in queue order; [] when none
}

// entryJSON is a holder or a waiter. Keys of etcdctl lock and
// concurrency.Mutex have no identity, label, keep-alive or times.
type entryJSON struct {
	Key        string    `json:"key"`
	Token      int64     `json:"token"`
	Identity   string    `json:"identity,omitempty"`
	Label      string    `json:"label,omitempty"`
	Value      string    `json:"value,omitempty"`  // an election's leader or candidate
	Limit      int       `json:"limit,omitempty"`  // a Semaphore's holder or waiter
	Shared     bool      `json:"shared,omitempty"` // an RWLock reader
	TTL        string    `json:"ttl,omitempty"`    // Go duration, e.g. "1m0s"
	TTLms      int64     `json:"ttl_ms,omitempty"`
	KeepAlive  bool      `json:"keepalive"`
	QueuedAt   time.Time `json:"queued_at,omitzero"`
	AcquiredAt time.Time `json:"acquired_at,omitzero"`
	Expires    time.Time `json:"lease_expires_at,omitzero"`
}

func lockJSONOf(info brokerlock.LockInfo) lockJSON {
	l := lockJSON{Name: info.ID, Free: info.Holder == nil, Holders: []entryJSON{}, Waiters: []entryJSON{}}
	if info.Holder != nil {
		h := entryJSONOf(*info.Holder)
		l.Holder = &h
	}
	for _, h := range info.Holders {
		l.Holders = append(l.Holders, entryJSONOf(h))
	}
	for _, w := range info.Waiters {
		l.Waiters = append(l.Waiters, entryJSONOf(w))
	}
	return l
}

func entryJSONOf(e brokerlock.Entry) entryJSON {
	j := entryJSON{Key: e.Key, Token: e.Token, Identity: e.Identity, Label: e.Label, Value: e.Value, Limit: e.Limit, Shared: e.Shared, KeepAlive: e.KeepAlive,
		QueuedAt: e.QueuedAt.UTC(), AcquiredAt: e.AcquiredAt.UTC(), Expires: e.Expires.UTC()}
	if e.TTL > 0 {
		j.TTL, j.TTLms = e.TTL.String(), e.TTL.Milliseconds()
	}
	return j
}

// holderName is an entry's identity, or what is known of a key without one.
func holderName(e *brokerlock.Entry) string {
	if e.Identity == "" && e.Value != "" {
		return fmt.Sprintf("the election candidate %q", e.Value)
	}
	if e.Identity == "" {
		return "an unnamed holder (etcdctl lock or concurrency.Mutex)"
	}
	return e.Identity
}

// timeText is t in UTC to the second.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ago is how long before now t was, to the second: "12s ago".
func ago(t, now time.Time) string {
	return roundAge(now.Sub(t)).String() + " ago"
}

// agoOrDash is ago, or "-" when t is unknown (zero).
func agoOrDash(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return ago(t, now)
}

// roundAge rounds to whole seconds, to milliseconds below a second.
func roundAge(d time.Duration) time.Duration {
	if d < time.Second && d > -time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// whenText is "T (12s ago)", or "unknown".
func whenText(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return fmt.Sprintf("%s (%s)", timeText(t), ago(t, now))
}

// ttlText is "1m0s, keep-alive" or "1m0s, hard".
func ttlText(e *brokerlock.Entry) string {
	if e.TTL == 0 {
		return "unknown"
	}
	if e.KeepAlive {
		return e.TTL.String() + ", keep-alive (renewed while held)"
	}
	return e.TTL.String() + ", hard (the hold ends this long after it was acquired)"
}

// shortTTL is "1m0s keep-alive", "1m0s" (hard) or "-", for tables.
func shortTTL(e *brokerlock.Entry) string {
	switch {
	case e.TTL == 0:
		return "-"
	case e.KeepAlive:
		return e.TTL.String() + " keep-alive"
	}
	return e.TTL.String()
}

// leaseText is when the entry's lease expires unless renewed.
func leaseText(e *brokerlock.Entry, now time.Time) string {
	if e.Expires.IsZero() {
		return "unknown"
	}
	return fmt.Sprintf("expires %s (in %s) unless renewed", timeText(e.Expires), roundAge(e.Expires.Sub(now)))
}

// orDash is s, or "-" when empty, for table cells.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
