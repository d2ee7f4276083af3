package etcdadapter

import (
	"log/slog"
	"strings"
)

// Option configures an Adapter.
type Option func(*Adapter)

// WithPrefix sets the etcd key prefix of every lock; default
// DefaultPrefix ("brokerlock/"). A prefix that does not end in "/" gets
// one ("myapp" is "myapp/"), so that prefixes "myapp" and "myapp2" never
// share keys; "" puts locks at the root of the key space. Nested prefixes
// do share keys: under "app/", lock "sub" ranges over "app/sub/", where an
// adapter with prefix "app/sub/" keeps all its locks. Give each
// application a prefix that is not inside another's.
func WithPrefix(prefix string) Option {
	return func(a *Adapter) { a.prefix = normalPrefix(prefix) }
}

// normalPrefix ends a non-empty prefix in "/".
func normalPrefix(prefix string) string {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return prefix + "/"
	}
	return prefix
}

// WithLogger sets where the adapter reports what no caller sees directly
// (nil: nowhere, as by default):
// lost locks (Warn), leases that died while in use (Warn), keys whose
// removal failed and is retried in the background (Warn) or given up
// (Error), and such keys removed after all (Info). Default: no logging.
func WithLogger(logger *slog.Logger) Option {
	return func(a *Adapter) {
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		a.log = logger
	}
}

// WithIdentity sets how this process names itself in its keys' values,
// which Inspect, List and `brokerlock status` show; default
// "hostname/pid". A pod name is a good choice on Kubernetes.
func WithIdentity(identity string) Option {
	return func(a *Adapter) { a.identity = identity }
}
