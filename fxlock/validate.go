package fxlock

import (
	"fmt"
	"time"
)

// validate names the first field of c that cannot work.
func (c Config) validate() error {
	if len(c.Endpoints) == 0 {
		return invalid("Config.Endpoints %q: want at least one etcd endpoint, e.g. 127.0.0.1:2379", c.Endpoints)
	}
	for i, e := range c.Endpoints {
		if e == "" {
			return invalid("Config.Endpoints[%d] %q: want an etcd endpoint, e.g. 127.0.0.1:2379", i, e)
		}
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{{"DialTimeout", c.DialTimeout}, {"KeepAliveTime", c.KeepAliveTime}, {"KeepAliveTimeout", c.KeepAliveTimeout}} {
		if d.value < 0 {
			return invalid("Config.%s %v: want >= 0 (0 for the default)", d.field, d.value)
		}
	}
	if (c.Username == "") != (c.Password == "") {
		return invalid("Config.Username %q with a Password of %d bytes: want both or neither", c.Username, len(c.Password))
	}
	if c.TLS != nil && c.tlsInfoSet() {
		return invalid("Config.TLS and Config.TLSInfo are both set: want at most one")
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
