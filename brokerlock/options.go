package brokerlock

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Defaults and bounds of Options, as in Deepkit's BrokerLock.
const (
	DefaultTTL     = 2 * time.Minute
	DefaultTimeout = 30 * time.Second
	// MinTTL and MaxTTL bound Options.TTL; MaxTimeout bounds Options.Timeout.
	MinTTL     = time.Millisecond
	MaxTTL     = 10 * 365 * 24 * time.Hour
	MaxTimeout = MaxTTL
	// MaxLabel bounds Options.Label in bytes.
	MaxLabel = 256
)

// Options of one lock item. Zero fields take the defaults.
type Options struct {
	// TTL is the lock's lifetime; default 2m. Without KeepAlive the lock
	// is released TTL after it was acquired (or last refreshed), as in
	// Deepkit, even if the holder is still working: its Hold's Done closes
	// first. Between MinTTL and MaxTTL. etcd grants leases in whole
	// seconds with a server minimum (2s by default); the TTL you set here
	// is still kept to the millisecond by a local timer.
	TTL time.Duration
	// Timeout is the longest wait in Acquire, Hold and Do (and bounds one
	// Try); default 30s; negative means no timeout, ctx alone bounds the
	// wait. At most MaxTimeout.
	Timeout time.Duration
	// KeepAlive renews the lock while it is held, so it lasts until
	// Release. TTL then only bounds how long a crashed or cut-off holder
	// blocks others.
	KeepAlive bool
	// Label describes the lock's work to whoever inspects it (Item.Inspect,
	// `brokerlock status`), e.g. "nightly report v2". Optional; at most
	// MaxLabel bytes of valid UTF-8.
	Label string
}

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Validate reports the first field of o that Item, Semaphore and RWLock
// would refuse, naming it and its value, in an error wrapping ErrInvalid;
// zero fields stand for their defaults. It does no I/O.
func (o Options) Validate() error { return o.withDefaults().validate() }

// validate names the first bad field and its value.
func (o Options) validate() error {
	switch {
	case o.TTL < MinTTL || o.TTL > MaxTTL:
		return fmt.Errorf("%w: Options.TTL %v: want between %v and %v (0 for the default %v)",
			ErrInvalid, o.TTL, MinTTL, MaxTTL, DefaultTTL)
	case o.Timeout > MaxTimeout:
		return fmt.Errorf("%w: Options.Timeout %v: want at most %v (negative for none)",
			ErrInvalid, o.Timeout, MaxTimeout)
	case len(o.Label) > MaxLabel || !utf8.ValidString(o.Label):
		return fmt.Errorf("%w: Options.Label %.40q (%d bytes): want at most %d bytes of valid UTF-8",
			ErrInvalid, o.Label, len(o.Label), MaxLabel)
	}
	return nil
}
