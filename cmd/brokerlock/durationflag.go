package main

import (
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// durationFlag is a flag holding a duration in any form that
// brokerlock.ParseDuration accepts: "60s", "1h30m", "2 minutes", "1d".
// It keeps the text; parse reads it, naming the flag and the value on bad
// input.
type durationFlag struct {
	name string
	raw  string
}

func (d *durationFlag) String() string     { return d.raw }
func (d *durationFlag) Set(s string) error { d.raw = s; return nil }
func (d *durationFlag) Type() string       { return "duration" }

// parse returns the flag's duration, which must be within [lo, hi]; what
// says what the bounds mean, for the error.
func (d *durationFlag) parse(lo, hi time.Duration, what string) (time.Duration, error) {
	v, err := brokerlock.ParseDuration(d.raw)
	if err != nil {
		return 0, usageErrorf("--%s %q: %w", d.name, d.raw, err)
	}
	if v < lo || v > hi {
		return 0, usageErrorf("--%s %q: want %s", d.name, d.raw, what)
	}
	return v, nil
}
